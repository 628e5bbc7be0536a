// One daemon shared by replicas (issue 21): what a second replica's connection costs. Two Sandbox objects on one
// container stand for two replicas: the first runs the daemon, the second bridges to its root-only socket.
// Rows: `exec "true"` p50 direct vs through the bridge (interleaved), and the bridge's memory (RSS and anonymous).
import Docker from 'dockerode';
import { DEFAULT_SANDBOX_CONFIG, Sandbox } from '@suna/sandbox';
import type { Row } from './scale.mts';

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export async function benchSharedDaemon(push: (r: Row) => void): Promise<void> {
  const cfg = { ...DEFAULT_SANDBOX_CONFIG, name: `bench-shared-${process.pid}`, baseImage: process.env.SUNA_BASE_IMAGE ?? DEFAULT_SANDBOX_CONFIG.baseImage, ephemeral: true };
  const [a, b] = [new Sandbox(cfg), new Sandbox(cfg)];
  const run = (s: Sandbox) => s.exec({ argv: ['true'], cwd: '/workspace', timeoutMs: 10_000, capBytes: 100 });
  try {
    await run(a);
    await run(b);
    const direct: number[] = [];
    const bridged: number[] = [];
    for (let i = 0; i < 110; i++) {
      for (const [s, xs] of [[a, direct], [b, bridged]] as const) {
        const t = performance.now();
        await run(s);
        if (i >= 10) xs.push(performance.now() - t);
      }
    }
    push({ name: 'exec "true", the daemon\'s own replica', p50: pct(direct, 50), p95: pct(direct, 95), n: direct.length });
    push({ name: 'exec "true", another replica through the bridge', p50: pct(bridged, 50), p95: pct(bridged, 95), n: bridged.length, note: `${(pct(bridged, 50) - pct(direct, 50)).toFixed(2)} ms p50 added (interleaved)` });
    // The daemon's own /proc is root's only with ptrace rights (it is not dumpable), the bridge's is readable.
    const exec = await new Docker().getContainer(`suna-${cfg.name}`).exec({ Cmd: ['sh', '-c', 'grep -E "^(Rss|Anonymous):" /proc/$(pgrep -x suna-bridge | head -1)/smaps_rollup'], User: '0:0', AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({});
    const out: Buffer[] = [];
    stream.on('data', (d: Buffer) => out.push(d));
    await new Promise((r) => stream.on('end', r));
    const text = Buffer.concat(out).toString('latin1');
    const kib = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(text)?.[1] ?? NaN);
    push({ name: 'bridge process RSS (MiB)', p50: kib('Rss') / 1024, p95: NaN, n: 1, note: `anonymous ${(kib('Anonymous') / 1024).toFixed(1)} MiB; the rest is the node binary, shared with the daemon` });
  } finally {
    await b.shutdown('remove').catch(() => {});
    await a.shutdown('remove').catch(() => {});
  }
}
