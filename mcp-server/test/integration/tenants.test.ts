// Tenants (--tenants FILE) on one server and one Redis run store: each tenant has its own sandbox, and no id
// of one tenant reaches anything of another — files, background processes, exposed ports, deployed sites,
// agent runs, HTTP sessions. Real Docker (two sandboxes), real Redis, a fake model.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startFakeModelServer, type FakeModelServer } from '../../../shared/test/fixtures/fake-model-server.ts';
import { startRedis, type TestRedis } from '../fixtures/redis.ts';
import { rawHttp, removeSandbox, startHttpServer, testSandboxName, type HttpServer } from '../fixtures/server.ts';

type Outcome = { text: string; isError: boolean; s: Record<string, unknown> };
async function call(c: Client, name: string, args: Record<string, unknown> = {}): Promise<Outcome> {
  const r = (await c.callTool({ name, arguments: args }, undefined, { timeout: 240_000 })) as CallToolResult;
  const text = r.content.filter((x) => x.type === 'text').map((x) => (x as { text: string }).text).join('\n');
  return { text, isError: !!r.isError, s: (r.structuredContent ?? {}) as Record<string, unknown> };
}
async function ok(c: Client, name: string, args: Record<string, unknown> = {}): Promise<Outcome> {
  const r = await call(c, name, args);
  if (r.isError) throw new Error(`${name} failed: ${r.text}`);
  return r;
}

describe('tenants: one server, a sandbox each, no id crosses', function () {
  this.timeout(600_000);
  const TOKENS = { alice: 'tok-alice-0123456789abcdef', bob: 'tok-bob-0123456789abcdefgh' };
  const sha = (t: string) => createHash('sha256').update(t).digest('hex');
  const base = testSandboxName('tenants');
  let dir: string;
  let redis: TestRedis;
  let fake: FakeModelServer;
  let server: HttpServer;
  let alice: Client;
  let bob: Client;

  async function clientFor(token: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
    const client = new McpClient({ name: 'tenant-test', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
    await client.connect(transport);
    return { client, transport };
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'suna-tenants-'));
    redis = await startRedis();
    fake = await startFakeModelServer([]);
    const file = join(dir, 'tenants.json');
    writeFileSync(file, JSON.stringify({ tenants: { alice: { token_sha256: sha(TOKENS.alice), memory_mb: 768 }, bob: { token_sha256: sha(TOKENS.bob), memory_mb: 512, tools: ['shell', 'files', 'deploy', 'agent', 'checkpoints'] } } }));
    server = await startHttpServer(
      {
        SUNA_TOKEN: '',
        SUNA_SANDBOX_NAME: base,
        SUNA_DATA_DIR: join(dir, 'data'),
        SUNA_EXCHANGE_DIR: join(dir, 'exchange'),
        SUNA_STORE: redis.url,
        ANTHROPIC_API_KEY: 'sk-ant-test-key-123456',
        ANTHROPIC_BASE_URL: fake.anthropicBaseURL,
        SUNA_MODEL: 'anthropic:claude-sonnet-5-5',
      },
      ['--tenants', file],
    );
    alice = (await clientFor(TOKENS.alice)).client;
    bob = (await clientFor(TOKENS.bob)).client;
  });
  after(async () => {
    await alice?.close().catch(() => {});
    await bob?.close().catch(() => {});
    await server?.stop();
    await fake?.close();
    await redis?.stop();
    await removeSandbox(`${base}-alice`);
    await removeSandbox(`${base}-bob`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('each tenant has a sandbox of its own, with its own limits; files do not cross', async () => {
    await ok(alice, 'file_write', { path: 'secret.txt', content: 'alice only\n' });
    const r = await call(bob, 'file_read', { path: 'secret.txt' });
    assert.equal(r.isError, true, r.text);
    const docker = new Docker();
    const a = await docker.getContainer(`suna-${base}-alice`).inspect();
    const b = await docker.getContainer(`suna-${base}-bob`).inspect();
    assert.equal(a.HostConfig.Memory, 768 * 1024 * 1024);
    assert.equal(b.HostConfig.Memory, 512 * 1024 * 1024);
    // bob's tool sets: no browser tools listed for him
    const tools = (await bob.listTools()).tools.map((t) => t.name);
    assert.ok(tools.includes('shell_exec') && !tools.some((n) => n.startsWith('browser_')), tools.join(','));
  });

  it('process ids: bob can neither read, write to nor kill a process of alice', async () => {
    const started = await ok(alice, 'shell_start', { command: 'python3 -m http.server 8123 --bind 127.0.0.1' });
    const pid = String(started.s.process_id);
    for (const [tool, args] of [['shell_output', { process_id: pid }], ['shell_input', { process_id: pid, text: 'x\n' }], ['shell_kill', { process_id: pid, signal: 'SIGKILL' }]] as const) {
      const r = await call(bob, tool, args);
      assert.equal(r.isError, true, `${tool}: ${r.text}`);
    }
    const list = await ok(bob, 'shell_list');
    assert.doesNotMatch(list.text, /http\.server/);
    const still = await ok(alice, 'shell_output', { process_id: pid, wait_s: 0 });
    assert.match(still.text, /running/);
  });

  it('ports: bob neither sees nor closes the port alice exposed', async () => {
    let exposed: Outcome | undefined;
    for (let i = 0; i < 20; i++) {
      exposed = await call(alice, 'port_expose', { port: 8123 });
      if (!exposed.isError) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(exposed?.isError, false, exposed?.text);
    const list = await ok(bob, 'port_list');
    assert.match(list.text, /no ports exposed/);
    const close = await call(bob, 'port_close', { port: 8123 });
    assert.equal(close.isError, true);
    assert.match((await ok(alice, 'port_list')).text, /8123/);
  });

  it('sites: bob neither lists nor removes the site alice deployed', async () => {
    await ok(alice, 'file_write', { path: 'site/index.html', content: '<h1>alice</h1>' });
    await ok(alice, 'site_deploy', { directory: 'site', name: 'alice-site' });
    assert.match((await ok(bob, 'site_list')).text, /no sites deployed/);
    const rm = await call(bob, 'site_remove', { name: 'alice-site' });
    assert.equal(rm.isError, true);
    assert.match((await ok(alice, 'site_list')).text, /alice-site/);
  });

  it('runs: bob neither follows, lists nor cancels a run of alice (one shared Redis store)', async () => {
    fake.push({ text: 'thinking slowly about it', chunkDelayMs: 300 }, { text: 'unused' });
    const started = await ok(alice, 'agent_run', { task: 'private task', wait_s: 0 });
    const id = String(started.s.run_id);
    for (const tool of ['agent_status', 'agent_cancel']) {
      const r = await call(bob, tool, { run_id: id });
      assert.equal(r.isError, true, `${tool}: ${r.text}`);
      assert.match(r.text, /no run/);
    }
    assert.match((await ok(bob, 'agent_list')).text, /no agent runs yet/);
    const mine = await ok(alice, 'agent_status', { run_id: id, wait_s: 30 });
    assert.notEqual(mine.s.status, 'cancelled');
    assert.match((await ok(alice, 'agent_list')).text, new RegExp(id));
  });

  it('checkpoints: bob neither lists, diffs nor restores a checkpoint of alice (each store is in its own sandbox)', async () => {
    await ok(alice, 'file_write', { path: 'ck/alice.txt', content: 'alice v1\n' });
    const id = String((await ok(alice, 'sandbox_checkpoint', { label: 'alice private' })).s.id);
    assert.match(id, /^ck-/);
    await ok(alice, 'file_write', { path: 'ck/alice.txt', content: 'alice v2\n' });
    assert.doesNotMatch((await ok(bob, 'sandbox_checkpoints')).text, new RegExp(`${id}|alice private`));
    for (const [tool, args] of [['sandbox_diff', { from: id }], ['sandbox_restore', { id }]] as const) {
      const r = await call(bob, tool, args);
      assert.equal(r.isError, true, `${tool}: ${r.text}`);
      assert.match(r.text, /no checkpoint/);
      assert.doesNotMatch(r.text, /alice/);
    }
    // bob's own checkpoint is his: alice does not see it either, and her file and checkpoint are as she left them.
    const bobs = String((await ok(bob, 'sandbox_checkpoint', {})).s.id);
    const aliceList = await ok(alice, 'sandbox_checkpoints');
    assert.match(aliceList.text, new RegExp(id));
    assert.doesNotMatch(aliceList.text, new RegExp(bobs));
    assert.equal((await call(alice, 'sandbox_diff', { from: bobs })).isError, true);
    assert.match((await ok(alice, 'file_read', { path: 'ck/alice.txt' })).text, /alice v2/);
  });

  it("metrics: each tenant's sandbox counters carry its name, and a tenant's scrape shows only its own", async () => {
    const scrape = async (token: string) => (await fetch(server.url.replace(/\/mcp$/, '/metrics'), { headers: { authorization: `Bearer ${token}` } })).text();
    const daemonStarts = (text: string, tenant: string) => Number(new RegExp(`^suna_sandbox_starts_total\\{kind="daemon",tenant="${tenant}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    const [forAlice, forBob] = [await scrape(TOKENS.alice), await scrape(TOKENS.bob)];
    assert.ok(daemonStarts(forAlice, 'alice') >= 1, forAlice.split('\n').filter((l) => l.includes('sandbox_starts')).join('\n'));
    assert.ok(daemonStarts(forBob, 'bob') >= 1);
    assert.doesNotMatch(forAlice, /tenant="bob"/, "alice never sees bob's name or counts");
    assert.doesNotMatch(forBob, /tenant="alice"/);
    assert.match(forAlice, /^suna_egress_connections_total\{verdict="allowed",tenant="alice"\} \d+/m);
  });

  it("sessions: alice's session id with bob's token is unknown; no token or a wrong one is refused", async () => {
    const { client, transport } = await clientFor(TOKENS.alice);
    const sid = transport.sessionId!;
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' };
    const asBob = await rawHttp(server.url, { headers: { ...headers, authorization: `Bearer ${TOKENS.bob}` }, body });
    assert.equal(asBob.status, 404);
    const wrong = await rawHttp(server.url, { headers: { ...headers, authorization: `Bearer ${sha(TOKENS.alice)}` }, body });
    assert.equal(wrong.status, 401);
    await client.close();
    assert.doesNotMatch(server.stderr(), new RegExp(`${TOKENS.alice}|${TOKENS.bob}`), 'no token in the logs');
  });
});

describe('tenants: an idle tenant is released and comes back', function () {
  this.timeout(600_000);
  const TOKEN = 'tok-carol-0123456789abcdef';
  const base = testSandboxName('tenants-idle');
  let dir: string;
  let server: HttpServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'suna-tenants-idle-'));
    const file = join(dir, 'tenants.json');
    writeFileSync(file, JSON.stringify({ tenants: { carol: { token_sha256: createHash('sha256').update(TOKEN).digest('hex'), tools: ['shell', 'files'] } } }));
    server = await startHttpServer({ SUNA_TOKEN: '', SUNA_SANDBOX_NAME: base, SUNA_DATA_DIR: join(dir, 'data'), SUNA_EXCHANGE_DIR: join(dir, 'exchange'), SUNA_EPHEMERAL: 'false', SUNA_ON_EXIT: 'stop' }, ['--tenants', file, '--tenant-idle-timeout', '3']);
  });
  after(async () => {
    await server?.stop();
    await removeSandbox(`${base}-carol`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('after the idle timeout its sandbox is stopped (workspace kept) and its session closed; the next session starts it again, with its counters kept', async () => {
    const connect = async () => {
      const client = new McpClient({ name: 'idle-test', version: '1' });
      await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
      return client;
    };
    const first = await connect();
    await ok(first, 'file_write', { path: 'kept.txt', content: 'still here\n' });
    const container = new Docker().getContainer(`suna-${base}-carol`);
    assert.equal((await container.inspect()).State.Running, true);
    let running = true;
    for (let i = 0; i < 120 && running; i++) {
      await new Promise((r) => setTimeout(r, 500));
      running = (await container.inspect()).State.Running;
    }
    assert.equal(running, false, 'released: the exit policy (stop) ran');
    const stale = await first.callTool({ name: 'shell_exec', arguments: { command: 'true' } }).then(() => 'answered', (e: Error) => e.message);
    assert.match(stale, /Session|404/i, 'the released session is closed');
    await first.close().catch(() => {});
    const second = await connect();
    assert.match((await ok(second, 'file_read', { path: 'kept.txt' })).text, /still here/);
    const metrics = await (await fetch(server.url.replace(/\/mcp$/, '/metrics'), { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    const starts = (kind: string) => Number(new RegExp(`^suna_sandbox_starts_total\\{kind="${kind}",tenant="carol"\\} (\\d+)`, 'm').exec(metrics)?.[1] ?? 0);
    assert.equal(starts('created'), 1, 'the first runtime\'s count is kept after its release');
    assert.equal(starts('started'), 1, 'the second runtime started the stopped container');
    await second.close();
  });
});
