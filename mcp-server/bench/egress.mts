// Egress benches, each transport in the same run: the host socket (the engine is local here: the default) and the
// exec-stream fallback (SUNA_EGRESS_TRANSPORT=exec), against the same download made directly on the host from a
// network-namespace host. `SUNA_BENCH=egress`: throughput (goal ≥ 0.8× direct) and shell_exec latency while
// downloads run (goal ≤ 2× idle). `SUNA_BENCH=egress-cpu`: what a download costs in CPU, process by process (the
// server's broker, the relay in the sandbox, dockerd and the containerd shim that carry an exec stream); on a shared
// 2-core machine throughput follows CPU per byte, and CPU seconds do not depend on how busy the machine is, so this
// is the number to compare across changes. SUNA_BENCH_CLI points at another build of the server (an older dist) for
// an A/B comparison. Everything stays on this machine; needs root (netns).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createNetnsHost } from '../test/fixtures/netns.ts';
import { CLI, serverEnv } from '../test/fixtures/server.ts';

export interface Row {
  name: string;
  p50: number;
  p95: number;
  n: number;
  note?: string;
}

/**
 * CPU seconds used so far by the processes of each role (summed), from /proc. dockerd serves every container on
 * the machine, so it is counted whole; the relay and the containerd shim are only this bench's sandbox's
 * (`containerId`): other sandboxes' relays and shims on a shared machine are not counted.
 */
function cpuByRole(serverPid: number | null, containerId: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of execFileSync('ps', ['-eo', 'pid=,comm=,args=']).toString().split('\n')) {
    const m = /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [, pid, comm, args] = m as unknown as [string, string, string, string];
    const ours = () => containerId !== '' && readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(containerId);
    try {
      const role = comm === 'dockerd' ? 'dockerd' : comm.startsWith('containerd-shim') ? (args.includes(containerId) ? 'containerd-shim' : '') : args.includes('suna-egress-relay') ? (ours() ? 'relay (in the sandbox)' : '') : Number(pid) === serverPid ? 'server (broker)' : '';
      if (!role) continue;
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      out[role] = (out[role] ?? 0) + (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

const TRANSPORTS = ['host socket', 'exec stream'] as const;
type Transport = (typeof TRANSPORTS)[number];

interface EgressServer {
  client: Client;
  transport: StdioClientTransport;
  sandboxName: string;
  shell(command: string): Promise<string>;
  close(): Promise<void>;
}

/** A server allowing `cidr`, its relay on `kind`; warmed by one download of `url` (relay running, code loaded). */
async function egressServer(cidr: string, kind: Transport, url: string): Promise<EgressServer> {
  const env = serverEnv({ SUNA_LOG_LEVEL: 'error', ...(kind === 'exec stream' ? { SUNA_EGRESS_TRANSPORT: 'exec' } : {}) });
  const transport = new StdioClientTransport({ command: process.execPath, args: [process.env.SUNA_BENCH_CLI || CLI, '--egress', 'allowlist', '--egress-allow', cidr], env, stderr: 'ignore' });
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(transport);
  const shell = async (command: string) => ((await client.callTool({ name: 'shell_exec', arguments: { command, timeout_s: 300 } })) as { structuredContent?: { stdout?: string } }).structuredContent?.stdout ?? '';
  await shell(`curl -sS -o /dev/null ${url}`);
  const status = ((await client.callTool({ name: 'sandbox_status', arguments: {} })) as { content: Array<{ text?: string }> }).content.map((c) => c.text ?? '').join('\n');
  if (!status.includes(`connections over the ${kind}`)) console.error(`egress bench: the ${kind} server does not report that transport (an older build?)`);
  return { client, transport, sandboxName: env.SUNA_SANDBOX_NAME!, shell, close: () => client.close() };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function directDownload(url: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    get(url, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () => resolve(n));
    }).on('error', reject);
  });
}

/** Throughput, each transport and direct in turn (3 rounds, median), then shell_exec p50 idle and during downloads. */
export async function benchEgressThroughput(push: (r: Row) => void): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'suna-bench-egress-'));
  const MB = 128;
  writeFileSync(join(root, 'big.bin'), Buffer.alloc(MB * 2 ** 20, 1));
  const host = await createNetnsHost(3, root);
  const url = `http://${host.address}:${host.httpPort}/big.bin`;
  const servers: Partial<Record<Transport, EgressServer>> = {};
  try {
    for (const kind of TRANSPORTS) servers[kind] = await egressServer(host.cidr, kind, url);
    const speeds: Record<Transport | 'direct' | 'direct curl', number[]> = { direct: [], 'direct curl': [], 'host socket': [], 'exec stream': [] };
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const bytes = await directDownload(url);
      speeds.direct.push(bytes / 2 ** 20 / ((performance.now() - t) / 1000));
      // The same client as in the sandbox (curl), on the host: the peer without Node's per-chunk cost.
      speeds['direct curl'].push(Number(execFileSync('curl', ['-sS', '-o', '/dev/null', '-w', '%{speed_download}', url]).toString()) / 2 ** 20);
      for (const kind of TRANSPORTS) speeds[kind].push(Number(await servers[kind]!.shell(`curl -sS -o /dev/null -w '%{speed_download}' ${url}`)) / 2 ** 20);
    }
    const d = median(speeds.direct);
    const dc = median(speeds['direct curl']);
    push({ name: `egress: ${MB} MiB download, direct on the host (MiB/s)`, p50: d, p95: NaN, n: 3, note: 'Node http.get in this process' });
    push({ name: `egress: ${MB} MiB download, direct on the host, curl (MiB/s)`, p50: dc, p95: NaN, n: 3 });
    for (const kind of TRANSPORTS) {
      const p = median(speeds[kind]);
      push({ name: `egress: ${MB} MiB through the policy, ${kind} (MiB/s)`, p50: p, p95: NaN, n: 3, note: `${(p / d).toFixed(2)}× direct, ${(p / dc).toFixed(2)}× direct curl; target ≥ 0.8×` });
    }
    for (const kind of TRANSPORTS) {
      const s = servers[kind]!;
      const call = () => s.client.callTool({ name: 'shell_exec', arguments: { command: 'true' } });
      const p50 = async (n: number) => {
        for (let i = 0; i < 5; i++) await call();
        const xs: number[] = [];
        for (let i = 0; i < n; i++) {
          const t = performance.now();
          await call();
          xs.push(performance.now() - t);
        }
        return median(xs);
      };
      const idle = await p50(60);
      const started = (await s.client.callTool({ name: 'shell_start', arguments: { command: `for i in $(seq 200); do curl -s -o /dev/null ${url}; done`, name: 'downloads' } })) as { structuredContent?: { process_id?: string } };
      await s.shell('sleep 1');
      const busy = await p50(60);
      // Stopped before the other transport is measured (both sandboxes share the machine).
      await s.client.callTool({ name: 'shell_kill', arguments: { process_id: started.structuredContent?.process_id ?? '', signal: 'SIGKILL' } }).catch(() => {});
      await s.shell('sleep 1');
      push({ name: `egress (${kind}): shell_exec p50 idle / during downloads`, p50: idle, p95: busy, n: 60, note: `${(busy / idle).toFixed(2)}× idle (p95 column: during); target ≤ 2×` });
    }
  } finally {
    for (const s of Object.values(servers)) await s.close();
    host.close();
    rmSync(root, { recursive: true, force: true });
  }
}

/** CPU seconds per GiB by process, for each transport. */
export async function benchEgressCpu(push: (r: Row) => void): Promise<void> {
  for (const kind of TRANSPORTS) await egressCpu(kind, push);
}

async function egressCpu(kind: Transport, push: (r: Row) => void): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'suna-bench-egress-cpu-'));
  const MB = 128;
  const RUNS = 3;
  writeFileSync(join(root, 'big.bin'), Buffer.alloc(MB * 2 ** 20, 1));
  const host = await createNetnsHost(2, root);
  const url = `http://${host.address}:${host.httpPort}/big.bin`;
  let server: EgressServer | undefined;
  try {
    server = await egressServer(host.cidr, kind, url);
    const { shell, transport } = server;
    const containerId = execFileSync('docker', ['inspect', '-f', '{{.Id}}', `suna-${server.sandboxName}`]).toString().trim();
    const before = cpuByRole(transport.pid, containerId);
    for (let i = 0; i < RUNS; i++) await shell(`curl -sS -o /dev/null ${url}`);
    const after = cpuByRole(transport.pid, containerId);
    const perGiB = (s: number) => s / ((RUNS * MB) / 1024);
    const direct = process.cpuUsage();
    for (let i = 0; i < RUNS; i++) {
      await new Promise<void>((resolve, reject) => get(url, (res) => res.on('data', () => {}).on('end', resolve)).on('error', reject));
    }
    const used = process.cpuUsage(direct);
    const peer = perGiB((used.user + used.system) / 1e6);
    let total = 0;
    let own = 0;
    for (const role of ['server (broker)', 'relay (in the sandbox)', 'containerd-shim', 'dockerd']) {
      const s = perGiB((after[role] ?? 0) - (before[role] ?? 0));
      total += s;
      if (role !== 'dockerd') own += s;
      push({ name: `egress CPU s/GiB (${kind}): ${role}`, p50: s, p95: NaN, n: RUNS, note: role === 'dockerd' ? 'whole dockerd: includes other work on a shared machine' : undefined });
    }
    push({ name: `egress CPU s/GiB (${kind}): broker + relay + shim`, p50: own, p95: NaN, n: RUNS, note: 'this sandbox only' });
    push({ name: `egress CPU s/GiB (${kind}): whole path`, p50: total, p95: NaN, n: RUNS, note: `direct download by this process ${peer.toFixed(2)} s/GiB, ${(total / peer).toFixed(1)}×` });
  } finally {
    await server?.close();
    host.close();
    rmSync(root, { recursive: true, force: true });
  }
}
