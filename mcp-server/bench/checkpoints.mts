// Checkpoint numbers (issue 19): on a 5,000-file / 50 MB workspace the first checkpoint, one after a single
// changed file, a restore, and the disk of 20 one-file checkpoints against one; then how the first and the
// incremental checkpoint grow with the tree (1k, 5k, 20k files). Through the real Sandbox and store sidecars.
// Two first checkpoints: cold (no base: a copy of everything) and pre-warmed (the base the server copies while the
// sandbox is idle, then one file changed, then the first checkpoint). Page cache: warm (the tree was just written).
// Run alone: SUNA_BENCH=checkpoints npm run bench.
import Docker from 'dockerode';
import { DEFAULT_SANDBOX_CONFIG, Sandbox, sidecarName } from '@suna/sandbox';

type Row = { name: string; p50: number; p95: number; n: number; note?: string };

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const r = await fn();
  return [performance.now() - t, r];
}

/** `files` files of 10 KiB of random bytes in directories of 100, written in the sandbox as the agent would. */
async function fillWorkspace(sb: Sandbox, files: number): Promise<void> {
  const script = `import os\nfor i in range(${files}):\n  d = f"/workspace/tree/d{i // 100}"\n  os.makedirs(d, exist_ok=True)\n  open(f"{d}/f{i}.txt", "wb").write(os.urandom(5120).hex().encode())\n`;
  const r = await sb.exec({ argv: ['python3', '-c', script], cwd: '/workspace', timeoutMs: 600_000, capBytes: 4096 });
  if (r.exitCode !== 0) throw new Error(`filling the workspace failed: ${Buffer.from(r.stderr.head, 'base64').toString()}`);
}

async function touchOne(sb: Sandbox, i: number): Promise<void> {
  await sb.exec({ argv: ['bash', '-c', `echo change ${i} >> /workspace/tree/d0/f0.txt`], cwd: '/workspace', timeoutMs: 30_000, capBytes: 1024 });
}

/** Bytes the store volume holds on disk (each hard-linked file counted once), read in the writer sidecar. */
async function storeDiskBytes(docker: Docker, sb: Sandbox): Promise<number> {
  const exec = await docker.getContainer(sidecarName(sb.config, 'writer')).exec({ Cmd: ['du', '-sB1', '/store/cp'], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', resolve);
  });
  const m = /(\d+)\s+\/store\/cp/.exec(Buffer.concat(chunks).toString('latin1'));
  return m ? Number(m[1]) : NaN;
}

/**
 * CPU (user + system, with reaped children such as rsync) the writer's store program has used, in ms: on a busy
 * machine the wall time of a checkpoint mostly measures the queue for a core, this measures the work.
 */
async function storeCpuMs(docker: Docker, sb: Sandbox): Promise<number> {
  const script = 'for p in /proc/[0-9]*; do head -c 40 $p/cmdline 2>/dev/null | grep -q bin/node && cat $p/stat; done; true';
  const exec = await docker.getContainer(sidecarName(sb.config, 'writer')).exec({ Cmd: ['sh', '-c', script], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', resolve);
  });
  // The stream is multiplexed (8-byte frame headers); the stat line is ASCII after the ") ".
  const line = Buffer.concat(chunks).toString('latin1').split('\n').filter((l) => l.includes(') ')).at(-1) ?? '';
  const f = line.replace(/^.*\) /, '').split(' ');
  return [11, 12, 13, 14].reduce((n, i) => n + Number(f[i] ?? NaN), 0) * 10; // clock ticks of 10 ms
}

async function withSandbox<T>(tag: string, fn: (sb: Sandbox) => Promise<T>): Promise<T> {
  const sb = new Sandbox({ ...DEFAULT_SANDBOX_CONFIG, name: `bench-ck-${tag}-${process.pid}`, ephemeral: true, baseImage: process.env.SUNA_BASE_IMAGE ?? DEFAULT_SANDBOX_CONFIG.baseImage, checkpointRetention: { count: 1000, bytes: 0 } });
  try {
    await sb.ensure();
    await sb.checkpoints.list(); // the writer sidecar is up: its creation is a one-time cost, not a checkpoint's
    return await fn(sb);
  } finally {
    await sb.shutdown('remove');
  }
}

export async function benchCheckpoints(results: Row[]): Promise<void> {
  const docker = new Docker();
  if (process.env.SUNA_BENCH_CK_MAIN !== '0') await withSandbox('main', async (sb) => {
    await fillWorkspace(sb, 5000);
    const [first] = await timed(() => sb.checkpoints.create('first', () => []));
    results.push({ name: 'checkpoint: first, cold (no base), 5,000 files / 50 MB', p50: first, p95: NaN, n: 1, note: 'target ≤ 1000 ms; a copy of everything' });
    const oneDisk = await storeDiskBytes(docker, sb);
    const xs: number[] = [];
    const cpus: number[] = [];
    for (let i = 0; i < 20; i++) {
      await touchOne(sb, i);
      const c = await storeCpuMs(docker, sb);
      xs.push((await timed(() => sb.checkpoints.create(`one change ${i}`, () => [])))[0]);
      cpus.push((await storeCpuMs(docker, sb)) - c);
    }
    results.push({ name: 'checkpoint: after one changed file (5,000 files)', p50: pct(xs, 50), p95: pct(xs, 95), n: xs.length, note: 'target ≤ 150 ms' });
    results.push({ name: 'checkpoint: store CPU, one changed file (5,000 files)', p50: pct(cpus, 50), p95: pct(cpus, 95), n: cpus.length, note: 'ms of CPU (store program + rsync); was ~650 with rsync --link-dest' });
    const manyDisk = await storeDiskBytes(docker, sb);
    results.push({ name: 'checkpoint: disk of 1 + 20 one-file checkpoints / 1 (×)', p50: manyDisk / oneDisk, p95: NaN, n: 21, note: `${(oneDisk / 2 ** 20).toFixed(1)} → ${(manyDisk / 2 ** 20).toFixed(1)} MiB; target ≤ 1.1×` });
    const exec = await docker.getContainer(sidecarName(sb.config, 'writer'));
    const floor: number[] = [];
    for (let i = 0; i < 10; i++) floor.push((await timed(async () => {
      const e = await exec.exec({ Cmd: ['/usr/local/bin/node', '-e', '0'], AttachStdout: true });
      const s = await e.start({});
      await new Promise<void>((resolve) => { s.on('end', resolve); s.resume(); });
    }))[0]);
    results.push({ name: 'checkpoint: floor, docker exec of "node -e 0" in the sidecar', p50: pct(floor, 50), p95: pct(floor, 95), n: floor.length, note: 'what every store operation pays' });
    const { checkpoints } = await sb.checkpoints.list();
    await sb.exec({ argv: ['bash', '-c', 'rm -rf /workspace/tree/d1 /workspace/tree/d2 && echo x > /workspace/tree/new.txt'], cwd: '/workspace', timeoutMs: 30_000, capBytes: 1024 });
    const [cold] = await timed(() => sb.restore(checkpoints[0]!.id, () => []));
    results.push({ name: 'restore, first (starts the restorer sidecar): 5,000 files', p50: cold, p95: NaN, n: 1, note: '200 files removed + 1 added since' });
    const ys: number[] = [];
    for (let i = 0; i < 5; i++) {
      await sb.exec({ argv: ['bash', '-c', `rm -rf /workspace/tree/d${3 + i} && echo x > /workspace/tree/new${i}.txt`], cwd: '/workspace', timeoutMs: 30_000, capBytes: 1024 });
      ys.push((await timed(() => sb.restore(checkpoints[0]!.id, () => [])))[0]);
    }
    results.push({ name: 'restore: 5,000 files, 100 removed + 1 added since', p50: pct(ys, 50), p95: pct(ys, 95), n: ys.length, note: 'checkpoint of the present + kill + pause + rsync + unpause + kill; target ≤ 2000 ms' });
  });
  for (const files of (process.env.SUNA_BENCH_CK_SIZES ?? '1000,5000,20000').split(',').map(Number)) {
    await withSandbox(`s${files}`, async (sb) => {
      await fillWorkspace(sb, files);
      const cpu0 = await storeCpuMs(docker, sb);
      const [base] = await timed(() => sb.checkpoints.prepareBase());
      const baseCpu = (await storeCpuMs(docker, sb)) - cpu0;
      await touchOne(sb, 999);
      const cpu1 = await storeCpuMs(docker, sb);
      const [first] = await timed(() => sb.checkpoints.create('first', () => []));
      const firstCpu = (await storeCpuMs(docker, sb)) - cpu1;
      const xs: number[] = [];
      const cpus: number[] = [];
      for (let i = 0; i < 5; i++) {
        await touchOne(sb, i);
        const c = await storeCpuMs(docker, sb);
        xs.push((await timed(() => sb.checkpoints.create('one', () => [])))[0]);
        cpus.push((await storeCpuMs(docker, sb)) - c);
      }
      results.push({ name: `checkpoint scaling: ${files} files, base copy (idle, niced) / first, pre-warmed`, p50: base, p95: first, n: 2, note: 'p50 column: the base (background, before any checkpoint); p95 column: the first checkpoint after it, one file changed' });
      results.push({ name: `checkpoint scaling: ${files} files, one change`, p50: pct(xs, 50), p95: pct(xs, 95), n: xs.length });
      results.push({ name: `checkpoint store CPU: ${files} files, base / first pre-warmed / one change`, p50: baseCpu, p95: firstCpu, n: 6, note: `ms of CPU in the store program and its rsync (user + system), load-independent; one change p50 ${pct(cpus, 50)} ms` });
    });
  }
}
