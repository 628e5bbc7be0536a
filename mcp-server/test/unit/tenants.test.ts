// The tenants file: tokens only as SHA-256, every field checked with the tenant named, a token finds its own
// tenant (and no other), and each tenant's configuration has its own sandbox, folders and limits.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { loadConfig } from '../../src/config.ts';
import { parseTenants, tenantConfig, Tenants } from '../../src/tenants.ts';
import { SessionStore, SessionTransport } from '../../src/http-sessions.ts';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Runtime } from '../../src/tool.ts';

const hash = (t: string) => createHash('sha256').update(t).digest('hex');
const file = (tenants: Record<string, unknown>) => JSON.stringify({ tenants });

describe('tenants', () => {
  const base = loadConfig(['--port', '0', '--sandbox-name', 'team', '--data-dir', '/tmp/suna-tenants-unit', '--exchange-dir', '/tmp/suna-x'], {});

  it('refuses a plain token, a duplicate token, an unknown field and a bad name, saying which tenant and field', () => {
    assert.throws(() => parseTenants(file({ alice: { token_sha256: 'secret-token' } }), 't.json'), /alice\.token_sha256: .*sha256sum/);
    assert.throws(() => parseTenants(file({ alice: { token_sha256: hash('a') }, bob: { token_sha256: hash('a') } }), 't.json'), /share a token/);
    assert.throws(() => parseTenants(file({ alice: { token_sha256: hash('a'), memroy_mb: 512 } }), 't.json'), /alice.*memroy_mb/);
    assert.throws(() => parseTenants(file({ '../x': { token_sha256: hash('a') } }), 't.json'), /tenant names/);
    assert.throws(() => parseTenants(file({ a: { token_sha256: hash('a'), egress: 'allowlist' } }), 't.json'), /egress_allow/);
    assert.throws(() => parseTenants('{', 't.json'), /not valid JSON/);
    assert.throws(() => parseTenants(file({}), 't.json'), /no tenants/);
  });

  it('a token finds its own tenant only; other tokens, near misses and other schemes find none', () => {
    const list = parseTenants(file({ alice: { token_sha256: hash('tok-alice-123456') }, bob: { token_sha256: hash('tok-bob-1234567') } }), 't.json');
    const made: string[] = [];
    const tenants = new Tenants(base, list, (c) => (made.push(c.sandbox.name), { config: c, log: { info() {}, warn() {} }, sites: { restore: async () => {} } }) as unknown as Runtime);
    assert.equal(tenants.match('Bearer tok-alice-123456')?.name, 'alice');
    assert.equal(tenants.match('bearer   tok-bob-1234567 ')?.name, 'bob');
    for (const h of [undefined, '', 'Bearer ', 'Bearer tok-alice-12345', 'Basic tok-alice-123456', `Bearer ${hash('tok-alice-123456')}`]) assert.equal(tenants.match(h), undefined, String(h));
    tenants.runtime(tenants.match('Bearer tok-bob-1234567')!);
    tenants.runtime(tenants.match('Bearer tok-bob-1234567')!);
    assert.deepEqual(made, ['team-bob'], 'one runtime per tenant, made on first use');
  });

  it('a tenant idle past --tenant-idle-timeout is released (stopped as at exit, sessions closed); busy ones and ones with a running run are kept', async () => {
    const cfg = loadConfig(['--port', '0', '--sandbox-name', 'team', '--data-dir', '/tmp/suna-tenants-unit', '--tenant-idle-timeout', '60'], {});
    const list = parseTenants(file({ idle: { token_sha256: hash('tok-idle-123456') }, busy: { token_sha256: hash('tok-busy-123456') }, agent: { token_sha256: hash('tok-agent-12345') } }), 't.json');
    const running: Record<string, number> = { agent: 1 };
    const made: string[] = [];
    const stopped: string[] = [];
    const fakeRuntime = (c: { tenant?: string; sandbox: { name: string } }) => {
      made.push(c.tenant!);
      return { config: c, log: { info() {}, warn() {} }, sites: { restore: async () => {} }, runs: { get running() { return running[c.tenant!] ?? 0; } } } as unknown as Runtime;
    };
    const tenants = new Tenants(cfg, list, { make: fakeRuntime, stop: async (r) => void stopped.push(r.config.tenant!) });
    const released: string[] = [];
    tenants.onRelease = (name) => released.push(name);
    try {
      const [idle, busy, agent] = list;
      const first = tenants.runtime(idle!);
      const done = tenants.busy(busy!);
      tenants.runtime(agent!);
      assert.deepEqual(await tenants.releaseIdle(Date.now() + 30_000), [], 'not idle long enough');
      assert.deepEqual(await tenants.releaseIdle(Date.now() + 61_000), ['idle']);
      assert.deepEqual(stopped, ['idle']);
      assert.deepEqual(released, ['idle']);
      assert.deepEqual(tenants.active().map((r) => r.config.tenant).sort(), ['agent', 'busy']);
      done();
      running.agent = 0;
      assert.deepEqual((await tenants.releaseIdle(Date.now() + 61_000)).sort(), ['agent', 'busy']);
      const again = tenants.runtime(idle!);
      assert.notEqual(again, first, 'the next request makes a fresh runtime');
      assert.deepEqual(made, ['idle', 'busy', 'agent', 'idle']);
    } finally {
      tenants.close();
    }
  });

  it('each tenant has its own rate limit and bucket: one exhausting its own does not slow another', () => {
    const list = parseTenants(file({ slow: { token_sha256: hash('tok-slow-123456'), rate_limit: 1 }, fast: { token_sha256: hash('tok-fast-123456') } }), 't.json');
    const tenants = new Tenants(base, list, () => ({}) as Runtime);
    const [slow, fast] = list;
    const s = tenants.limiter(slow!);
    assert.equal(s.limit, 1);
    assert.equal(s.limiter.take(slow!.name), 0);
    assert.ok(s.limiter.take(slow!.name) > 0, 'the second request within the minute waits');
    const f = tenants.limiter(fast!);
    assert.equal(f.limit, 600, 'the server default');
    assert.equal(f.limiter.take(fast!.name), 0);
  });

  it("a tenant's configuration has its own sandbox, data and exchange folders, tools and limits", () => {
    const [alice] = parseTenants(file({ alice: { token_sha256: hash('x'), memory_mb: 512, cpus: 0.5, disk_quota_mb: 100, rate_limit: 5, tools: ['shell', 'files'], egress: 'none' } }), 't.json');
    const c = tenantConfig(base, alice!);
    assert.equal(c.sandbox.name, 'team-alice');
    assert.equal(c.sandbox.memoryMb, 512);
    assert.equal(c.sandbox.cpus, 0.5);
    assert.equal(c.sandbox.diskQuotaMb, 100);
    assert.equal(c.sandbox.egress?.mode, 'none');
    assert.equal(c.http?.rateLimit, 5);
    assert.deepEqual(c.tools, ['shell', 'files']);
    assert.equal(c.dataDir, '/tmp/suna-tenants-unit/tenants/alice');
    assert.equal(c.exchangeDir, '/tmp/suna-x/alice');
    assert.deepEqual(c.importDirs, ['/tmp/suna-x/alice']);
    assert.throws(() => tenantConfig(base, { ...alice!, limits: { ...alice!.limits, tools: ['nope'] } }), /alice\.tools/);
  });

  it("a session opened by one tenant is unknown to another tenant's token", () => {
    const store = new SessionStore(10, 0);
    const t = new SessionTransport({ sessionIdGenerator: () => 'x' });
    store.add('s1', t, { close: async () => {} } as unknown as McpServer, 'alice');
    assert.equal(store.use('s1', false, 'bob'), undefined);
    assert.equal(store.use('s1', false, ''), undefined);
    assert.ok(store.use('s1', false, 'alice'));
  });

  it('--store takes file or a redis URL, and refuses anything else', () => {
    assert.equal(loadConfig([], {}).store, 'file');
    assert.equal(loadConfig(['--store', 'redis://127.0.0.1:6379'], {}).store, 'redis://127.0.0.1:6379');
    assert.throws(() => loadConfig(['--store', 'http://x'], {}), /--store: expected file, redis/);
    assert.throws(() => loadConfig(['--store', 'redis'], {}), /--store: expected file or a URL/);
  });
});
