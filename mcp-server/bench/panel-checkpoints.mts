// The panel's per-file Undo ("Changes in this run"): sandbox_restore {paths} of one file, with the checkpoint of the
// present it takes first, against the whole restore the same file would need without it (the peer), on a
// 5,000-file workspace. Through the real Sandbox and store sidecars. Run alone: SUNA_BENCH=panel-checkpoints npm run bench.
import { DEFAULT_SANDBOX_CONFIG, Sandbox } from '@suna/sandbox';

type Row = { name: string; p50: number; p95: number; n: number; note?: string };

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export async function benchPanelCheckpoints(results: Row[], files = 5000, rounds = 5): Promise<void> {
  const sb = new Sandbox({ ...DEFAULT_SANDBOX_CONFIG, name: `bench-ckpanel-${process.pid}`, ephemeral: true, baseImage: process.env.SUNA_BASE_IMAGE ?? DEFAULT_SANDBOX_CONFIG.baseImage, checkpointRetention: { count: 1000, bytes: 0 } });
  const sh = async (command: string) => {
    const r = await sb.exec({ argv: ['bash', '-c', command], cwd: '/workspace', timeoutMs: 600_000, capBytes: 4096 });
    if (r.exitCode !== 0) throw new Error(`${command.slice(0, 60)} failed`);
  };
  try {
    await sb.ensure();
    await sh(`python3 -c 'import os\nfor i in range(${files}):\n  d = f"/workspace/tree/d{i // 100}"\n  os.makedirs(d, exist_ok=True)\n  open(f"{d}/f{i}.txt", "wb").write(os.urandom(5120).hex().encode())'`);
    const base = await sb.checkpoints.create('run start', () => []);
    const undo: number[] = [];
    const pathOnly: number[] = [];
    const full: number[] = [];
    for (let i = 0; i < rounds; i++) {
      await sh(`echo change ${i} >> tree/d0/f0.txt`);
      let t = performance.now();
      await sb.checkpoints.create('before undo', () => [base.id]);
      const r = performance.now();
      await sb.checkpoints.restore(base.id, ['workspace/tree/d0/f0.txt']);
      pathOnly.push(performance.now() - r);
      undo.push(performance.now() - t);
      await sh(`echo change ${i} >> tree/d0/f0.txt`);
      t = performance.now();
      await sb.restore(base.id, () => [base.id]);
      full.push(performance.now() - t);
    }
    const [u, f] = [pct(undo, 50), pct(full, 50)];
    results.push({ name: `panel Undo of one file (${files} files), incl. checkpoint`, p50: u, p95: pct(undo, 95), n: rounds, note: `peer: whole restore ${f.toFixed(0)} ms, ${(u / f).toFixed(2)}×` });
    results.push({ name: `  of which sandbox_restore {paths} of the file`, p50: pct(pathOnly, 50), p95: pct(pathOnly, 95), n: rounds, note: `the rest is the checkpoint of the present` });
  } finally {
    await sb.shutdown('remove');
  }
}
