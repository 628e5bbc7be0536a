// Why: start (spawn → `initialize` answered) is a few tens of milliseconds of main-thread work on a machine other
// processes keep busy, so a lone wall-clock median says little. This runs this build and a peer build
// (SUNA_BENCH_PEER_CLI, e.g. main's dist/cli.js) interleaved, spawn by spawn, and reports beside the wall time the
// server's main-thread CPU until the answer (/proc schedstat, ns — not 10 ms ticks) and spawn → tools/list
// answered (what a client waits for before its first turn), at the default log level and without Docker (no
// sandbox work). Run alone with SUNA_BENCH=start-ab; SUNA_START_RUNS sets the spawns per build (default 15).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CLI, serverEnv } from '../test/fixtures/server.ts';

interface BenchRow { name: string; p50: number; p95: number; n: number; note?: string }
interface Sample { initialize: number; cpu: number; toolsList: number }

const INITIALIZE = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench-start', version: '1' } } };
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

/** One spawn: initialize, then (as a client does) initialized + tools/list at once; times from spawn. */
async function once(cli: string): Promise<Sample> {
  const env = serverEnv({ SUNA_LOG_LEVEL: 'info', DOCKER_HOST: 'unix:///nonexistent.sock' });
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli], { env, stdio: ['pipe', 'pipe', 'ignore'] });
  const answers = new Map<number, number>();
  let buffered = '';
  let cpu = NaN;
  const waiters = new Map<number, () => void>();
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const id = (JSON.parse(buffered.slice(0, nl)) as { id?: number }).id;
      buffered = buffered.slice(nl + 1);
      if (id === undefined) continue;
      answers.set(id, performance.now() - t0);
      if (id === 1) cpu = Number(readFileSync(`/proc/${child.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
      waiters.get(id)?.();
    }
  });
  const answered = (id: number) => new Promise<void>((resolve) => (answers.has(id) ? resolve() : waiters.set(id, resolve)));
  child.stdin.write(JSON.stringify(INITIALIZE) + '\n');
  await answered(1);
  child.stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n' + JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }) + '\n');
  await answered(2);
  child.stdin.end();
  await new Promise((resolve) => child.once('exit', resolve));
  return { initialize: answers.get(1)!, cpu, toolsList: answers.get(2)! };
}

export async function benchStartAB(push: (row: BenchRow) => void): Promise<void> {
  const runs = Number(process.env.SUNA_START_RUNS) || 15;
  const builds = [{ label: 'this build', cli: process.env.SUNA_BENCH_CLI || CLI }];
  if (process.env.SUNA_BENCH_PEER_CLI) builds.push({ label: 'peer build', cli: process.env.SUNA_BENCH_PEER_CLI });
  const samples = builds.map(() => [] as Sample[]);
  for (const b of builds) await once(b.cli); // compile caches warm, as for every launch after the first
  for (let i = 0; i < runs; i++) for (const [j, b] of builds.entries()) samples[j]!.push(await once(b.cli));
  const rows: [string, keyof Sample][] = [['start: spawn → initialize answered', 'initialize'], ['start: server main-thread CPU until initialize answered', 'cpu'], ['start: spawn → tools/list answered', 'toolsList']];
  for (const [name, key] of rows) {
    const [mine, peer] = samples.map((s) => s.map((x) => x[key]));
    const note = peer ? `peer ${pct(peer, 50).toFixed(0)} ms (p95 ${pct(peer, 95).toFixed(0)}), ${(pct(mine!, 50) / pct(peer, 50)).toFixed(2)}×, interleaved` : 'set SUNA_BENCH_PEER_CLI for a peer in the same run';
    push({ name: `${name} (log level info)`, p50: pct(mine!, 50), p95: pct(mine!, 95), n: runs, note: key === 'initialize' ? `${note}; goal ≤ 300 ms` : note });
  }
}
