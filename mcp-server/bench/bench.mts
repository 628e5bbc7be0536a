// `npm run bench`: prints latency numbers measured on this machine, through the real code paths.
// Not a test: nothing here fails on a slow machine; the numbers go into the closing notes and the README.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import Docker from 'dockerode';
import { DEFAULT_SANDBOX_CONFIG, Sandbox } from '@suna/sandbox';
import { CLI, serverEnv, startHttpServer } from '../test/fixtures/server.ts';

const docker = new Docker();
const results: { name: string; p50: number; p95: number; n: number; note?: string }[] = [];

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function measure(name: string, n: number, fn: () => Promise<unknown>, note?: string): Promise<number> {
  for (let i = 0; i < Math.min(10, n); i++) await fn(); // warm-up
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    xs.push(performance.now() - t);
  }
  results.push({ name, p50: pct(xs, 50), p95: pct(xs, 95), n, note });
  return pct(xs, 50);
}

/** A plain dockerode exec of a command in a container: create + start + demux to the end + inspect. */
async function plainExec(container: Docker.Container, cmd: string[]): Promise<number> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, User: '1000:1000' });
  const stream = await exec.start({});
  await new Promise<void>((resolve) => {
    stream.on('end', resolve);
    stream.resume();
  });
  return (await exec.inspect()).ExitCode ?? -1;
}

async function benchStdio(): Promise<void> {
  const env = serverEnv({ SUNA_LOG_LEVEL: 'error' });
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI], env, stderr: 'ignore' });
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(transport);
  await client.callTool({ name: 'shell_exec', arguments: { command: 'true' } });
  await measure('MCP no-op round trip (ping), stdio', 500, () => client.ping());
  const viaMcp = await measure('shell_exec "true" through MCP (stdio)', 200, () => client.callTool({ name: 'shell_exec', arguments: { command: 'true' } }));
  const container = docker.getContainer(`suna-${env.SUNA_SANDBOX_NAME}`);
  const plain = await measure('plain dockerode exec "true" (same container)', 100, () => plainExec(container, ['true']));
  results.push({ name: '→ shell_exec / plain exec', p50: viaMcp / plain, p95: NaN, n: 0, note: 'ratio of p50s; target ≤ 0.2' });
  await client.close();
}

async function benchHttp(): Promise<void> {
  const server = await startHttpServer({ SUNA_LOG_LEVEL: 'info', SUNA_RATE_LIMIT: '0' }); // measuring, not limiting
  const client = await server.client('bench');
  await measure('MCP no-op round trip (ping), HTTP', 300, () => client.ping());
  await measure('shell_exec "true" through MCP (HTTP)', 100, () => client.callTool({ name: 'shell_exec', arguments: { command: 'true' } }));
  await client.close();
  await server.stop();
}

async function benchBrowser(): Promise<void> {
  const env = serverEnv({ SUNA_LOG_LEVEL: 'error' });
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI], env, stderr: 'ignore' }));
  const call = (name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args });
  await call('file_write', { path: 'site/index.html', content: '<!doctype html><title>Bench</title><h1>Hello</h1><ul>' + '<li><a href="#">link</a></li>'.repeat(50) + '</ul>' });
  await call('shell_start', { command: 'cd site && exec python3 -m http.server 8300 --bind 127.0.0.1' });
  await call('shell_exec', { command: 'for i in $(seq 50); do curl -sf http://127.0.0.1:8300/ >/dev/null && exit 0; sleep 0.1; done' });
  const t = performance.now();
  await call('browser_navigate', { url: 'http://localhost:8300/' });
  results.push({ name: 'browser cold start (first browser_navigate)', p50: performance.now() - t, p95: NaN, n: 1 });
  await measure('browser_navigate + browser_snapshot, local page, warm', 20, async () => {
    await call('browser_navigate', { url: 'http://localhost:8300/' });
    await call('browser_snapshot', {});
  }, 'target ≤ 300 ms');
  await client.close();
}

async function benchColdStart(): Promise<void> {
  const xs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const sb = new Sandbox({ ...DEFAULT_SANDBOX_CONFIG, name: `bench-cold-${process.pid}-${i}`, ephemeral: true, baseImage: process.env.SUNA_BASE_IMAGE ?? DEFAULT_SANDBOX_CONFIG.baseImage });
    const t = performance.now();
    await sb.exec({ command: 'true', cwd: '/workspace', timeoutMs: 10_000, capBytes: 1000 });
    xs.push(performance.now() - t);
    await sb.shutdown('remove');
  }
  results.push({ name: 'sandbox cold start (create → first command done)', p50: pct(xs, 50), p95: pct(xs, 95), n: xs.length });
}

async function benchWorkspaceSync(): Promise<void> {
  for (const r of await (await import('./sync.mts')).benchSyncVsTar()) results.push({ name: r.name, p50: r.value, p95: NaN, n: 1, note: Number.isNaN(r.peer) ? r.note : `peer ${r.peer.toFixed(0)} ms, ${(r.value / r.peer).toFixed(2)}×; ${r.note}` });
}

async function benchLoop(): Promise<void> {
  try {
    const mod = (await import('../../shared/test/bench-loop.ts')) as { benchLoopOverhead(steps?: number): Promise<{ perStepMs: number }> };
    const r = await mod.benchLoopOverhead(500);
    results.push({ name: 'agent loop overhead per step (zero-latency model)', p50: r.perStepMs, p95: NaN, n: 500, note: 'mean; target ≤ 10 ms' });
  } catch (e) {
    results.push({ name: 'agent loop overhead per step', p50: NaN, p95: NaN, n: 0, note: `not measured: ${(e as Error).message}` });
  }
}

/** Bytes of tools/list — what every turn of every conversation pays — for the default set (no keys) and a small one. */
async function benchToolList(): Promise<void> {
  for (const args of [[], ['--tools', 'shell,files']]) {
    const env = serverEnv({ SUNA_LOG_LEVEL: 'error', ANTHROPIC_API_KEY: '', OPENAI_API_KEY: '', OPENAI_COMPATIBLE_API_KEY: '', TAVILY_API_KEY: '' });
    const client = new Client({ name: 'bench', version: '1' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, ...args], env, stderr: 'ignore' }));
    const { tools } = await client.listTools();
    const bytes = Buffer.byteLength(JSON.stringify({ tools }));
    const biggest = tools.map((t) => [t.name, Buffer.byteLength(JSON.stringify(t))] as const).sort((a, b) => b[1] - a[1]).slice(0, 3);
    const label = args.length ? args.join(' ') : 'default set, no keys';
    results.push({ name: `tools/list size, ${label} (KB)`, p50: bytes / 1024, p95: NaN, n: tools.length, note: `${(bytes / tools.length / 1024).toFixed(2)} KB per tool; largest ${biggest.map(([n, b]) => `${n} ${(b / 1024).toFixed(1)}`).join(', ')}` });
    await client.close();
  }
}

// SUNA_BENCH=egress,stdio,… runs only those parts.
const parts: Record<string, () => Promise<void>> = { panel: async () => void results.push(...(await (await import('./panel.mts')).benchPanel())), stdio: benchStdio, http: benchHttp, cold: benchColdStart, browser: benchBrowser, sync: benchWorkspaceSync, loop: benchLoop, egress: async () => (await import('./egress.mts')).benchEgressThroughput((r) => results.push(r)), tools: benchToolList, facade: async () => (await import('./facade.mts')).benchFacade(), checkpoints: async () => (await import('./checkpoints.mts')).benchCheckpoints(results), lean: async () => (await import('./lean.mts')).benchLean(), code: async () => (await import('./code.mts')).benchCode(results), scale: async () => (await import('./scale.mts')).benchScale((r) => results.push(r)), 'scale-remote': async () => (await import('./scale.mts')).benchRemoteEngine((r) => results.push(r)) };
parts['panel-checkpoints'] = async () => (await import('./panel-checkpoints.mts')).benchPanelCheckpoints(results);
parts['panel-background'] = async () => void results.push(...(await (await import('./panel-background.mts')).benchBackgroundOutput()));
parts['egress-cpu'] = async () => (await import('./egress.mts')).benchEgressCpu((r) => results.push(r)); // CPU per GiB by process and transport, A/B with SUNA_BENCH_CLI
parts['shared-daemon'] = async () => (await import('./shared-daemon.mts')).benchSharedDaemon((r) => results.push(r)); // issue 21: a second replica through the bridge
parts['sandbox-memory'] = async () => (await import('./sandbox-memory.mts')).benchSandboxMemory((r) => results.push(r)); // issue 20: RSS/PSS/USS of daemon and relay, 1 and 4 sandboxes
parts['browser-peers'] = async () => void (await (await import('./browser.mts')).benchBrowserPeers()); // vs @playwright/mcp, prints its own rows
parts['start-ab'] = async () => (await import('./start-ab.mts')).benchStartAB((r) => results.push(r)); // issue 20: start A/B with SUNA_BENCH_PEER_CLI, main-thread CPU, spawn → tools/list
parts['browser-profile'] = async () => (await import('./browser-profile.mts')).benchBrowserProfile(); // where a small-page navigate + snapshot spends its time
const only = process.env.SUNA_BENCH?.split(',').map((s) => s.trim()).filter(Boolean);
for (const [name, run] of Object.entries(parts)) if (!only || only.includes(name)) await run();

const fmt = (x: number) => (Number.isNaN(x) ? '' : x < 10 ? x.toFixed(2) : x.toFixed(1));
console.log('\nsuna-mcp bench (ms unless noted)\n');
console.log('measurement'.padEnd(56) + 'p50'.padStart(9) + 'p95'.padStart(9) + '    n');
for (const r of results) console.log(r.name.padEnd(56) + fmt(r.p50).padStart(9) + fmt(r.p95).padStart(9) + String(r.n || '').padStart(6) + (r.note ? `   ${r.note}` : ''));
console.log('\n' + JSON.stringify(results));
