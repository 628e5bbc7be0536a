// What a download through the egress policy costs in CPU, process by process (the server's broker, the relay in
// the sandbox, dockerd and the containerd shim that carry its exec stream), against the same download made
// directly by this process. On a shared 2-core machine throughput follows CPU per byte, and CPU seconds do not
// depend on how busy the machine is, so this is the number to compare across changes (`SUNA_BENCH=egress-cpu`).
// SUNA_BENCH_CLI points at another build of the server (an older dist) for an A/B comparison. Needs root (netns).
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

export async function benchEgressCpu(push: (r: Row) => void): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'suna-bench-egress-cpu-'));
  const MB = 128;
  const RUNS = 3;
  writeFileSync(join(root, 'big.bin'), Buffer.alloc(MB * 2 ** 20, 1));
  const host = await createNetnsHost(2, root);
  const url = `http://${host.address}:${host.httpPort}/big.bin`;
  const cli = process.env.SUNA_BENCH_CLI || CLI;
  const env = serverEnv({ SUNA_LOG_LEVEL: 'error' });
  const transport = new StdioClientTransport({ command: process.execPath, args: [cli, '--egress', 'allowlist', '--egress-allow', host.cidr], env, stderr: 'ignore' });
  const client = new Client({ name: 'bench', version: '1' });
  try {
    await client.connect(transport);
    const shell = async (command: string) => ((await client.callTool({ name: 'shell_exec', arguments: { command, timeout_s: 300 } })) as { structuredContent?: { stdout?: string } }).structuredContent?.stdout ?? '';
    await shell(`curl -sS -o /dev/null ${url}`); // warm: relay running, server code loaded
    const containerId = execFileSync('docker', ['inspect', '-f', '{{.Id}}', `suna-${env.SUNA_SANDBOX_NAME}`]).toString().trim();
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
      push({ name: `egress CPU s/GiB: ${role}`, p50: s, p95: NaN, n: RUNS, note: role === 'dockerd' ? 'whole dockerd: includes other work on a shared machine' : undefined });
    }
    push({ name: 'egress CPU s/GiB: broker + relay + shim (this sandbox only)', p50: own, p95: NaN, n: RUNS });
    push({ name: 'egress CPU s/GiB: whole path through the policy', p50: total, p95: NaN, n: RUNS, note: `direct download by this process ${peer.toFixed(2)} s/GiB, ${(total / peer).toFixed(1)}×` });
  } finally {
    await client.close();
    host.close();
    rmSync(root, { recursive: true, force: true });
  }
}
