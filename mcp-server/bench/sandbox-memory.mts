// Why: "daemon ≤ 25 MiB per sandbox" needs a precise meaning. RSS counts the node binary's file pages, which every
// sandbox running the same image shares through the page cache, so it overstates what one more sandbox costs. This
// bench prints, for the daemon and the egress relay with 1 and with 4 sandboxes running, RSS (as before), PSS (shared
// pages split between the processes mapping them) and USS (pages only this process has), the container cgroup's
// anonymous memory, and the host memory one more sandbox adds: the USS of every process of that sandbox plus its
// containerd shim. Read on the host from /proc/<pid>/smaps_rollup (needs root, as `docker top`'s pids are the host's).
// Run alone: SUNA_BENCH=sandbox-memory npm run bench (SUNA_MEMORY_SANDBOXES sets the larger count, default 4).
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import Docker from 'dockerode';
import { CLI as BUILT_CLI, serverEnv } from '../test/fixtures/server.ts';
import type { Row } from './scale.mts';

/** SUNA_BENCH_CLI: another build of the server (an older dist) for a before/after comparison. */
const CLI = process.env.SUNA_BENCH_CLI || BUILT_CLI;

interface Memory { rss: number; pss: number; uss: number; anon: number }
interface SandboxProcesses { daemon?: Memory; relay?: Memory; all: Memory; shim?: Memory }

const KiB = (text: string, key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);

/** RSS, PSS, USS (private clean + dirty) and anonymous memory of one host process, in KiB; undefined if unreadable. */
function memoryOf(pid: number): Memory | undefined {
  try {
    const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    return { rss: KiB(t, 'Rss'), pss: KiB(t, 'Pss'), uss: KiB(t, 'Private_Clean') + KiB(t, 'Private_Dirty'), anon: KiB(t, 'Anonymous') };
  } catch {
    return undefined;
  }
}

const add = (a: Memory, b: Memory | undefined): Memory => (b ? { rss: a.rss + b.rss, pss: a.pss + b.pss, uss: a.uss + b.uss, anon: a.anon + b.anon } : a);
const ZERO: Memory = { rss: 0, pss: 0, uss: 0, anon: 0 };
const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ');
  } catch {
    return '';
  }
};
const ppid = (pid: number) => Number(/^PPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

/** The sandbox's processes by host pid (docker top), sorted into daemon, relay and the rest, plus the shim outside. */
async function sandboxProcesses(docker: Docker, name: string): Promise<SandboxProcesses> {
  const top = (await docker.getContainer(name).top({ ps_args: '-o pid,comm' })) as { Titles: string[]; Processes: string[][] };
  const out: SandboxProcesses = { all: ZERO };
  let first = Infinity;
  for (const [pidText, comm] of top.Processes) {
    const pid = Number(pidText);
    const mem = memoryOf(pid);
    first = Math.min(first, pid);
    out.all = add(out.all, mem);
    if (comm === 'suna-daemon') out.daemon = mem;
    else if (cmdline(pid).includes('suna-egress-relay')) out.relay = mem;
  }
  // docker-init (the container's first process) is the shim's child: the shim lives on the host, one per container.
  if (Number.isFinite(first)) {
    const shim = ppid(first);
    if (shim > 1 && /containerd-shim/.test(cmdline(shim))) out.shim = memoryOf(shim);
  }
  return out;
}

async function cgroupAnonMiB(docker: Docker, name: string): Promise<number> {
  const stats = (await docker.getContainer(name).stats({ stream: false })) as { memory_stats: { stats?: Record<string, number> } };
  const s = stats.memory_stats.stats ?? {};
  return (s.total_rss ?? s.anon ?? NaN) / 2 ** 20;
}

async function startServer(): Promise<{ client: Client; container: string }> {
  const env = serverEnv({ SUNA_LOG_LEVEL: 'error' });
  const client = new Client({ name: 'bench-sandbox-memory', version: '1' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI], env, stderr: 'ignore' }));
  // A few ordinary calls, so the daemon has done the work most sandboxes do (exec, write, read, list).
  const call = (name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args }, undefined, { timeout: 600_000 });
  await call('shell_exec', { command: 'echo ok' });
  for (let i = 0; i < 5; i++) {
    await call('file_write', { path: `mem/f${i}.txt`, content: 'hello\n'.repeat(100) });
    await call('file_read', { path: `mem/f${i}.txt` });
    await call('shell_exec', { command: 'ls mem | wc -l' });
  }
  await call('file_list', { path: 'mem' });
  return { client, container: `suna-${env.SUNA_SANDBOX_NAME}` };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const mib = (kib: number) => kib / 1024;

function processRows(push: (r: Row) => void, label: string, count: number, sets: SandboxProcesses[]): void {
  for (const role of ['daemon', 'relay'] as const) {
    const ms = sets.map((s) => s[role]).filter((m): m is Memory => !!m);
    if (!ms.length) {
      push({ name: `${label}: ${role} memory`, p50: NaN, p95: NaN, n: 0, note: 'not found or /proc not readable (run as root on the Docker host)' });
      continue;
    }
    const who = role === 'daemon' ? 'daemon' : 'egress relay';
    push({ name: `${who} RSS, ${count} sandbox${count > 1 ? 'es' : ''} (MiB)`, p50: mib(mean(ms.map((m) => m.rss))), p95: NaN, n: ms.length, note: 'counts the shared node binary pages in full' });
    push({ name: `${who} PSS, ${count} sandbox${count > 1 ? 'es' : ''} (MiB)`, p50: mib(mean(ms.map((m) => m.pss))), p95: NaN, n: ms.length, note: 'shared pages split between the processes mapping them (other sandboxes on the host too)' });
    push({ name: `${who} USS, ${count} sandbox${count > 1 ? 'es' : ''} (MiB)`, p50: mib(mean(ms.map((m) => m.uss))), p95: NaN, n: ms.length, note: `private pages; anonymous ${mib(mean(ms.map((m) => m.anon))).toFixed(1)} MiB; goal ≤ 25 MiB; a static daemon (E2B envd) ~10 MiB RSS` });
  }
}

export async function benchSandboxMemory(push: (r: Row) => void): Promise<void> {
  const docker = new Docker();
  const count = Math.max(2, Number(process.env.SUNA_MEMORY_SANDBOXES ?? 4));
  const servers: { client: Client; container: string }[] = [];
  const settle = () => new Promise((r) => setTimeout(r, 3000));
  try {
    servers.push(await startServer());
    await settle();
    const one = [await sandboxProcesses(docker, servers[0]!.container)];
    processRows(push, '1 sandbox', 1, one);
    push({ name: 'container cgroup anonymous memory, 1 sandbox (MiB)', p50: await cgroupAnonMiB(docker, servers[0]!.container), p95: NaN, n: 1, note: 'page cache excluded' });
    while (servers.length < count) servers.push(await startServer());
    await settle();
    const many = await Promise.all(servers.map((s) => sandboxProcesses(docker, s.container)));
    processRows(push, `${count} sandboxes`, count, many);
    const anon = await Promise.all(servers.map((s) => cgroupAnonMiB(docker, s.container)));
    push({ name: `container cgroup anonymous memory, ${count} sandboxes, mean (MiB)`, p50: mean(anon), p95: NaN, n: count, note: 'page cache excluded' });
    // What one more sandbox takes from the host once the image's files are cached: the private pages of every
    // process in it (daemon, relay, init, the launch shell and flock) and of its containerd shim. Kernel memory
    // (page tables, the cgroup, sockets) is not in it.
    const added = many.map((s) => mib(add(s.all, s.shim).uss));
    const sandboxOnly = many.map((s) => mib(s.all.uss));
    push({ name: 'host memory added per extra idle sandbox (MiB)', p50: mean(added), p95: NaN, n: count, note: `USS of all its processes ${mean(sandboxOnly).toFixed(1)} MiB + its containerd shim; PSS of all ${mib(mean(many.map((s) => s.all.pss))).toFixed(1)} MiB` });
  } finally {
    await Promise.all(servers.map((s) => s.client.close().catch(() => {})));
  }
}
