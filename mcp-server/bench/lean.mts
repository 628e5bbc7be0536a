// Why: what every conversation and every launch pays, next to a peer — the size of tools/list (against
// @playwright/mcp when it is installed), the time from spawn to `initialize` answered, the server's resident memory
// idle and after many calls, and the daemon's per sandbox. Run alone with SUNA_BENCH=lean (SUNA_LEAN_CALLS sets the
// number of mixed calls, default 10,000; SUNA_LEAN_PARTS=list,start,first,memory,heap some rows; SUNA_BENCH_CLI another build's
// cli.js for an A/B). Not a test: nothing here fails on a slow machine.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import Docker from 'dockerode';
import { CLI as BUILT_CLI, serverEnv } from '../test/fixtures/server.ts';

const CLI = process.env.SUNA_BENCH_CLI || BUILT_CLI;

interface Row { name: string; value: number; unit: string; peer?: number; peerName?: string; note?: string }

const NO_KEYS = { ANTHROPIC_API_KEY: '', OPENAI_API_KEY: '', OPENAI_COMPATIBLE_API_KEY: '', TAVILY_API_KEY: '' };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

/** The Node flags the `suna-mcp` launcher passes (see its last line); the memory rows run with and without them. */
const LAUNCHER_FLAGS = ['--max-semi-space-size=2'];

async function connect(args: string[], env: Record<string, string>, nodeFlags: string[] = []): Promise<{ client: Client; transport: StdioClientTransport; ms: number }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [...nodeFlags, CLI, ...args], env, stderr: 'ignore' });
  const client = new Client({ name: 'bench-lean', version: '1' });
  const t = performance.now();
  await client.connect(transport);
  return { client, transport, ms: performance.now() - t };
}

async function listBytes(args: string[]): Promise<{ bytes: number; tools: number }> {
  // No Docker work is needed to list tools: an unreachable engine keeps this row from creating a sandbox.
  const { client } = await connect(args, serverEnv({ SUNA_LOG_LEVEL: 'error', DOCKER_HOST: 'unix:///nonexistent.sock', ...NO_KEYS }));
  const { tools } = await client.listTools();
  await client.close();
  return { bytes: Buffer.byteLength(JSON.stringify({ tools })), tools: tools.length };
}

/** @playwright/mcp's tools/list, when the package is installed (the browser bench's dev dependency); else undefined. */
async function playwrightMcpList(): Promise<{ bytes: number; tools: number } | undefined> {
  let cli: string;
  try {
    cli = createRequire(import.meta.url).resolve('@playwright/mcp/cli.js');
  } catch {
    const local = process.env.SUNA_PLAYWRIGHT_MCP_CLI;
    if (!local || !existsSync(local)) return undefined;
    cli = local;
  }
  const client = new Client({ name: 'bench-lean', version: '1' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [cli, '--headless'], stderr: 'ignore' }));
  const { tools } = await client.listTools();
  await client.close();
  return { bytes: Buffer.byteLength(JSON.stringify({ tools })), tools: tools.length };
}

async function toolListRows(rows: Row[]): Promise<void> {
  const all = await listBytes([]);
  const small = await listBytes(['--tools', 'shell,files']);
  const peer = await playwrightMcpList().catch(() => undefined);
  rows.push({ name: `tools/list, default set, no keys (${all.tools} tools)`, value: all.bytes / 1024, unit: 'KB', note: 'goal ≤ 24 KB' });
  rows.push({ name: `tools/list, --tools shell,files (${small.tools} tools)`, value: small.bytes / 1024, unit: 'KB' });
  rows.push({
    name: 'tools/list per tool',
    value: all.bytes / all.tools,
    unit: 'B',
    peer: peer ? peer.bytes / peer.tools : undefined,
    peerName: peer ? `@playwright/mcp (${peer.tools} tools)` : '@playwright/mcp n/a (not installed)',
    note: 'goal ≤ 1.0×',
  });
}

/** CPU time (user + system) the process has used so far, from /proc: steadier than wall time on a busy machine. */
const cpuMs = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // clock ticks of 10 ms
};

async function startRows(rows: Row[]): Promise<void> {
  const xs: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < 5; i++) {
    const { client, transport, ms } = await connect([], serverEnv({ SUNA_LOG_LEVEL: 'error', DOCKER_HOST: 'unix:///nonexistent.sock' }));
    xs.push(ms);
    cpu.push(cpuMs(transport.pid!));
    await client.close();
  }
  rows.push({ name: 'start: spawn → initialize answered (median of 5)', value: median(xs), unit: 'ms', note: 'goal ≤ 300 ms; compile cache warm after the first' });
  rows.push({ name: 'start: server CPU until initialize answered (median)', value: median(cpu), unit: 'ms', note: '10 ms ticks; what start costs regardless of load' });
}

/**
 * "No slower first tool call because of a fast start": a server spawned beside a sandbox that already exists (the
 * usual launch of a client), its first call right after `initialize` (the worst case: a person types for seconds
 * first) against the same call once warm. With the default --on-exit stop the container was stopped by the last
 * server and starts again; with keep it still runs and is only attached. Removed at the end.
 */
async function firstCallRows(rows: Row[]): Promise<void> {
  for (const onExit of ['stop', 'keep']) {
    const env = serverEnv({ SUNA_LOG_LEVEL: 'error', SUNA_EPHEMERAL: 'false', SUNA_ON_EXIT: onExit, ...NO_KEYS });
    const shell = (client: Client) => client.callTool({ name: 'shell_exec', arguments: { command: 'true' } });
    const first: number[] = [];
    const warm: number[] = [];
    const total: number[] = [];
    try {
      const made = await connect([], env);
      await shell(made.client);
      await made.client.close();
      for (let i = 0; i < 5; i++) {
        const { client, ms } = await connect([], env);
        const t = performance.now();
        await shell(client);
        first.push(performance.now() - t);
        total.push(ms + first.at(-1)!);
        const w = performance.now();
        await shell(client);
        warm.push(performance.now() - w);
        await client.close();
      }
    } finally {
      const docker = new Docker();
      const name = `suna-${env.SUNA_SANDBOX_NAME}`;
      for (const c of await docker.listContainers({ all: true, filters: { name: [name] } })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
      for (const v of (await docker.listVolumes({ filters: { name: [name] } })).Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => {});
    }
    const how = onExit === 'stop' ? 'stopped by the last server (--on-exit stop, the default)' : 'still running (--on-exit keep)';
    rows.push({ name: `first tool call right after initialize, sandbox ${how}, median of 5`, value: median(first), unit: 'ms', peer: median(warm), peerName: 'the same call warm', note: `spawn → first call answered ${median(total).toFixed(0)} ms` });
  }
}

/** RSS of the sandbox's processes by name: the daemon calls itself suna-daemon; the egress relay is the other node. */
async function sandboxRssMiB(container: string): Promise<{ daemon: number; relay: number }> {
  const exec = await new Docker().getContainer(container).exec({ Cmd: ['ps', '-eo', 'rss=,comm='], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  const out = await new Promise<string>((resolve) => {
    let s = '';
    stream.on('data', (d: Buffer) => (s += d.toString('latin1')));
    stream.on('end', () => resolve(s));
  });
  const rss = (name: string) => Math.max(0, ...out.split('\n').map((l) => /^\s*(\d+)\s+(\S+)/.exec(l)).filter((m) => m?.[2] === name).map((m) => Number(m![1]))) / 1024;
  return { daemon: rss('suna-daemon'), relay: rss('node') };
}

/** The mixed calls of the memory rows: shell, file write/read/list and status, in turn. */
const mixedCalls = (call: (name: string, args?: Record<string, unknown>) => Promise<unknown>) => [
  () => call('shell_exec', { command: 'echo hi' }),
  (i: number) => call('file_write', { path: `bench/f${i % 50}.txt`, content: `line ${i}\n`.repeat(20) }),
  (i: number) => call('file_read', { path: `bench/f${i % 50}.txt` }),
  () => call('file_list', { path: 'bench' }),
  () => call('sandbox_status'),
];

/**
 * Raw RSS includes garbage V8 has not collected yet; this run tells it from a leak. The server (launcher flags) runs
 * under the inspector on loopback; after a tenth of the calls and after all of them a full GC is forced over CDP,
 * then the heap in use and RSS are read. The heap's growth per 1,000 calls is what a leak would show.
 */
async function heapRows(rows: Row[]): Promise<void> {
  const env = serverEnv({ SUNA_LOG_LEVEL: 'error', ...NO_KEYS });
  const transport = new StdioClientTransport({ command: process.execPath, args: [...LAUNCHER_FLAGS, '--inspect=127.0.0.1:0', CLI], env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'bench-lean', version: '1' });
  await client.connect(transport);
  const ws = new WebSocket(/ws:\/\/127\.0\.0\.1:\d+\/[\w-]+/.exec(stderr)![0]);
  await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = reject)));
  const pending = new Map<number, (result: any) => void>();
  ws.onmessage = (m) => {
    const msg = JSON.parse(String(m.data));
    pending.get(msg.id)?.(msg.result);
  };
  let id = 0;
  const cdp = (method: string, params = {}) => new Promise<any>((resolve) => (pending.set(++id, resolve), ws.send(JSON.stringify({ id, method, params }))));
  const afterGc = async () => {
    await cdp('HeapProfiler.collectGarbage');
    const r = await cdp('Runtime.evaluate', { expression: 'process.memoryUsage().heapUsed', returnByValue: true });
    return { heap: (r.result.value as number) / 1024 / 1024, rss: rssMiB(transport.pid!) };
  };
  const call = (name: string, args: Record<string, unknown> = {}) => client.callTool({ name, arguments: args });
  try {
    const mixed = mixedCalls(call);
    const n = Number(process.env.SUNA_LEAN_CALLS ?? 10_000);
    await call('shell_exec', { command: 'true' });
    let atTenth = { heap: 0, rss: 0 };
    for (let i = 0; i < n; i++) {
      await mixed[i % mixed.length]!(i);
      if (i + 1 === Math.floor(n / 10)) atTenth = await afterGc();
    }
    const end = await afterGc();
    const per1k = ((end.heap - atTenth.heap) / (n - Math.floor(n / 10))) * 1000;
    rows.push({ name: `server heap in use after GC, after ${n.toLocaleString('en-US')} calls (${LAUNCHER_FLAGS.join(' ')})`, value: end.heap, unit: 'MiB', note: `${(per1k * 1024).toFixed(0)} KiB more per 1,000 calls than after ${(n / 10).toLocaleString('en-US')}; goal: no growth` });
    rows.push({ name: `server RSS after GC, after ${n.toLocaleString('en-US')} calls (inspector attached)`, value: end.rss, unit: 'MiB', note: `${(end.rss - atTenth.rss).toFixed(1)} MiB more than after ${(n / 10).toLocaleString('en-US')}` });
  } finally {
    ws.close();
    await client.close();
  }
}

async function memoryRows(rows: Row[], nodeFlags: string[] = []): Promise<void> {
  const env = serverEnv({ SUNA_LOG_LEVEL: 'error', ...NO_KEYS });
  const { client, transport } = await connect([], env, nodeFlags);
  const flags = nodeFlags.length ? ` (${nodeFlags.join(' ')})` : ' (plain node)';
  const pid = transport.pid!;
  const call = (name: string, args: Record<string, unknown> = {}) => client.callTool({ name, arguments: args });
  try {
    await call('shell_exec', { command: 'true' });
    await new Promise((r) => setTimeout(r, 2000));
    const idle = rssMiB(pid);
    rows.push({ name: `server RSS, idle (sandbox attached)${flags}`, value: idle, unit: 'MiB', note: 'goal ≤ 100 MiB' });
    if (!nodeFlags.length) {
      const inSandbox = await sandboxRssMiB(`suna-${env.SUNA_SANDBOX_NAME}`);
      rows.push({ name: 'daemon RSS per sandbox', value: inSandbox.daemon, unit: 'MiB', note: 'goal ≤ 25 MiB; a static daemon (E2B envd) ~10 MiB' });
      rows.push({ name: 'egress relay RSS per sandbox', value: inSandbox.relay, unit: 'MiB' });
    }
    const n = Number(process.env.SUNA_LEAN_CALLS ?? 10_000);
    const mixed = mixedCalls(call);
    let atTenth = 0;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      await mixed[i % mixed.length]!(i);
      if (i === Math.floor(n / 10)) atTenth = rssMiB(pid);
    }
    const after = rssMiB(pid);
    // Raw RSS: it includes garbage V8 has not collected yet, so a rise here is not by itself a leak (a heap snapshot,
    // which collects first, tells them apart).
    rows.push({ name: `mixed calls${flags}, mean`, value: (performance.now() - t0) / n, unit: 'ms' });
    rows.push({ name: `server RSS after ${n.toLocaleString('en-US')} mixed calls${flags}`, value: after, unit: 'MiB', note: `${(after - atTenth).toFixed(1)} MiB more than after ${(n / 10).toLocaleString('en-US')}; goal: no growth` });
  } finally {
    await client.close();
  }
}

export async function benchLean(): Promise<void> {
  const rows: Row[] = [];
  const parts = process.env.SUNA_LEAN_PARTS?.split(',') ?? ['list', 'start', 'first', 'memory', 'heap'];
  if (parts.includes('list')) await toolListRows(rows);
  if (parts.includes('start')) await startRows(rows);
  if (parts.includes('first')) await firstCallRows(rows);
  if (parts.includes('memory')) {
    await memoryRows(rows);
    await memoryRows(rows, LAUNCHER_FLAGS);
  }
  if (parts.includes('heap')) await heapRows(rows);
  const fmt = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '' : x < 10 ? x.toFixed(2) : x.toFixed(1));
  console.log('\nsuna-mcp lean bench\n');
  console.log('measurement'.padEnd(72) + 'value'.padStart(10) + '  unit' + 'peer'.padStart(10) + 'ratio'.padStart(8) + '   peer / note');
  for (const r of rows) {
    const ratio = r.peer ? r.value / r.peer : undefined;
    console.log(r.name.padEnd(72) + fmt(r.value).padStart(10) + `  ${r.unit.padEnd(4)}` + fmt(r.peer).padStart(10) + (ratio ? `${ratio.toFixed(2)}×` : '').padStart(8) + `   ${[r.peerName, r.note].filter(Boolean).join('; ')}`);
  }
  console.log('\n' + JSON.stringify(rows));
}
