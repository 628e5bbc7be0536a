// Scale-out numbers for docs/scale-out.md: what one idle sandbox costs (container and daemon), what one tenant
// costs the server, what reading a run through another replica adds (Redis), and shell_exec against a remote
// engine over TLS vs the local one. `SUNA_BENCH=scale` (and `scale-remote`, slow: it copies the image).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import Docker from 'dockerode';
import { startFakeModelServer, type FakeTurn } from '../../shared/test/fixtures/fake-model-server.ts';
import { startRedis } from '../test/fixtures/redis.ts';
import { startRemoteEngine } from '../test/fixtures/remote-engine.ts';
import { CLI, serverEnv, startHttpServer } from '../test/fixtures/server.ts';

export interface Row {
  name: string;
  p50: number;
  p95: number;
  n: number;
  note?: string;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function timed(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < Math.min(5, n); i++) await fn();
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    xs.push(performance.now() - t);
  }
  return xs;
}

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

async function stdioClient(env: Record<string, string>): Promise<{ client: Client; call: (name: string, args?: Record<string, unknown>) => Promise<CallToolResult> }> {
  const client = new Client({ name: 'bench-scale', version: '1' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI], env, stderr: 'ignore' }));
  return { client, call: async (name, args = {}) => (await client.callTool({ name, arguments: args }, undefined, { timeout: 600_000 })) as CallToolResult };
}

/** Memory of an idle sandbox: the container's cgroup (page cache excluded) and the daemon's own RSS inside it. */
async function idleSandbox(push: (r: Row) => void): Promise<void> {
  const env = serverEnv({ SUNA_LOG_LEVEL: 'error' });
  const { client, call } = await stdioClient(env);
  try {
    await call('shell_exec', { command: 'true' });
    await new Promise((r) => setTimeout(r, 3000)); // let start-up settle
    const stats = (await new Docker().getContainer(`suna-${env.SUNA_SANDBOX_NAME}`).stats({ stream: false })) as { memory_stats: { usage: number; stats?: Record<string, number> } };
    const cache = stats.memory_stats.stats?.total_inactive_file ?? stats.memory_stats.stats?.inactive_file ?? stats.memory_stats.stats?.cache ?? 0;
    const ps = await call('shell_exec', { command: "ps -eo rss=,args= | awk '/suna|daemon|relay/ && !/awk/ {s+=$1} END {print s}'" });
    const daemonKiB = Number((ps.structuredContent as { stdout?: string } | undefined)?.stdout?.trim() ?? NaN);
    const anon = stats.memory_stats.stats?.total_rss ?? stats.memory_stats.stats?.anon ?? NaN;
    push({ name: 'idle sandbox: container memory (MiB, incl. daemon)', p50: (stats.memory_stats.usage - cache) / 2 ** 20, p95: NaN, n: 1, note: `cgroup usage minus inactive page cache; anonymous ${(anon / 2 ** 20).toFixed(1)} MiB` });
    push({ name: 'idle sandbox: daemon + egress relay RSS (MiB)', p50: daemonKiB / 1024, p95: NaN, n: 1, note: 'ps RSS, counts the shared node binary pages in each process' });
  } finally {
    await client.close();
  }
}

/** Server RSS with no tenant, then per tenant that has made one call (its runtime and sandbox connection exist). */
async function perTenant(push: (r: Row) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'suna-bench-tenants-'));
  const N = 3;
  const tokens = Array.from({ length: N }, (_, i) => `tok-bench-tenant-${i}-0123456789`);
  const file = join(dir, 'tenants.json');
  writeFileSync(file, JSON.stringify({ tenants: Object.fromEntries(tokens.map((t, i) => [`t${i}`, { token_sha256: createHash('sha256').update(t).digest('hex') }])) }));
  const server = await startHttpServer({ SUNA_TOKEN: '', SUNA_LOG_LEVEL: 'error', SUNA_DATA_DIR: dir, SUNA_RATE_LIMIT: '0' }, ['--tenants', file]);
  const clients: Client[] = [];
  try {
    await new Promise((r) => setTimeout(r, 2000));
    const base = rssMiB(server.proc.pid!);
    const created: number[] = [];
    for (const token of tokens) {
      const c = new Client({ name: 'bench', version: '1' });
      await c.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
      clients.push(c);
      const t = performance.now();
      await c.callTool({ name: 'shell_exec', arguments: { command: 'true' } }, undefined, { timeout: 600_000 });
      created.push(performance.now() - t);
    }
    await new Promise((r) => setTimeout(r, 2000));
    const after = rssMiB(server.proc.pid!);
    push({ name: 'server RSS, tenants mode, no tenant yet (MiB)', p50: base, p95: NaN, n: 1 });
    push({ name: 'server RSS added per tenant with an idle sandbox (MiB)', p50: (after - base) / N, p95: NaN, n: N, note: `${after.toFixed(0)} MiB with ${N} tenants` });
    push({ name: 'tenant first call (sandbox create + start + daemon)', p50: pct(created, 50), p95: Math.max(...created), n: N, note: 'p95 column: max' });
  } finally {
    for (const c of clients) await c.close().catch(() => {});
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** agent_status of a run on replica A, read through A (memory) and through B (Redis). */
export async function benchCrossReplica(push: (r: Row) => void): Promise<void> {
  const redis = await startRedis();
  const turns: FakeTurn[] = Array.from({ length: 30 }, (_, i) => ({ text: `step ${i}`, toolCalls: [{ name: 'no_such_tool', args: { i } }], chunkDelayMs: 200 }));
  const fake = await startFakeModelServer(turns);
  const env = { SUNA_STORE: redis.url, SUNA_SANDBOX_NAME: `bench-replicas-${process.pid}`, DOCKER_HOST: 'unix:///nonexistent/docker.sock', SUNA_LOG_LEVEL: 'error', SUNA_RATE_LIMIT: '0', ANTHROPIC_API_KEY: 'sk-ant-bench-key-123456', ANTHROPIC_BASE_URL: fake.anthropicBaseURL, SUNA_MODEL: 'anthropic:claude-sonnet-5-5' };
  const a = await startHttpServer(env);
  const b = await startHttpServer(env);
  const ca = await a.client('bench');
  const cb = await b.client('bench');
  try {
    const started = (await ca.callTool({ name: 'agent_run', arguments: { task: 'bench', wait_s: 2 } })) as CallToolResult;
    const id = (started.structuredContent as { run_id: string }).run_id;
    const status = (c: Client) => () => c.callTool({ name: 'agent_status', arguments: { run_id: id, wait_s: 0 } });
    // Interleaved, so both see the same machine load.
    const same: number[] = [];
    const other: number[] = [];
    for (let i = 0; i < 210; i++) {
      for (const [c, xs] of [[ca, same], [cb, other]] as const) {
        const t = performance.now();
        await status(c)();
        if (i >= 10) xs.push(performance.now() - t);
      }
    }
    push({ name: 'agent_status, run on this replica', p50: pct(same, 50), p95: pct(same, 95), n: same.length });
    push({ name: 'agent_status, run on another replica (Redis)', p50: pct(other, 50), p95: pct(other, 95), n: other.length, note: `${pct(other, 50) >= pct(same, 50) ? '+' : ''}${(pct(other, 50) - pct(same, 50)).toFixed(2)} ms p50 (interleaved); goal ≤ 10` });
  } finally {
    await ca.close().catch(() => {});
    await cb.close().catch(() => {});
    await a.stop();
    await b.stop();
    await fake.close();
    await redis.stop();
  }
}

export async function benchScale(push: (r: Row) => void): Promise<void> {
  await benchCrossReplica(push);
  await idleSandbox(push);
  await perTenant(push);
}

/** shell_exec p50 against the remote engine (TLS over a veth) and the local one; copies the image first (minutes). */
export async function benchRemoteEngine(push: (r: Row) => void): Promise<void> {
  const tag = execFileSync(process.execPath, [CLI, 'build-image'], { env: serverEnv(), stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  const t0 = performance.now();
  const engine = await startRemoteEngine([tag]);
  push({ name: 'remote engine: start dockerd + copy the image (s)', p50: (performance.now() - t0) / 1000, p95: NaN, n: 1 });
  try {
    for (const [label, extra] of [['local engine', {}], ['remote engine (TLS)', engine.env]] as const) {
      const { client, call } = await stdioClient(serverEnv({ SUNA_LOG_LEVEL: 'error', ...extra }));
      try {
        const t = performance.now();
        await call('shell_exec', { command: 'true' });
        push({ name: `first shell_exec, ${label} (create + start)`, p50: performance.now() - t, p95: NaN, n: 1 });
        const xs = await timed(100, () => call('shell_exec', { command: 'true' }));
        push({ name: `shell_exec "true", ${label}`, p50: pct(xs, 50), p95: pct(xs, 95), n: 100 });
      } finally {
        await client.close();
      }
    }
  } finally {
    await engine.close();
  }
}
