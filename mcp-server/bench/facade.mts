// What the sandbox facade (ctx.fs / ctx.exec: signal, default timeout, base64, error mapper) costs over the raw
// daemon call it wraps, on a real sandbox: the same operations both ways, p50s side by side.
import { DEFAULT_SANDBOX_CONFIG, Sandbox } from '@suna/sandbox';
import { bindSandbox } from '../src/sandbox-facade.ts';

function p50(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

async function timed(n: number, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 20; i++) await fn(); // warm-up
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    xs.push(performance.now() - t);
  }
  return p50(xs);
}

export async function benchFacade(): Promise<void> {
  const baseImage = process.env.SUNA_BASE_IMAGE ?? DEFAULT_SANDBOX_CONFIG.baseImage;
  const sandbox = new Sandbox({ ...DEFAULT_SANDBOX_CONFIG, name: `bench-facade-${process.pid}`, ephemeral: true, baseImage });
  try {
    await sandbox.ensureImage();
    await sandbox.ensure();
    const signal = new AbortController().signal;
    const ctx = bindSandbox(sandbox, signal);
    const file = '/workspace/bench-64k.bin';
    await ctx.fs.write(file, Buffer.alloc(64 * 1024, 7));
    const rows: Array<[string, number, number]> = [];
    const pair = async (name: string, n: number, viaFacade: () => Promise<unknown>, raw: () => Promise<unknown>) => {
      // Interleave the two sides so drift on a shared machine hits both alike.
      const a: number[] = [];
      const b: number[] = [];
      for (let round = 0; round < 4; round++) {
        a.push(await timed(n, viaFacade));
        b.push(await timed(n, raw));
      }
      rows.push([name, p50(a), p50(b)]);
    };
    await pair('stat', 300, () => ctx.fs.stat(file), () => sandbox.call('stat', { path: file }, { signal, timeoutMs: 15_000 }));
    await pair('read 64 KiB (decoded)', 200, () => ctx.fs.read(file, { maxBytes: 1 << 20 }), async () => Buffer.from((await sandbox.call('read', { path: file, maxBytes: 1 << 20 }, { signal, timeoutMs: 60_000 })).data, 'base64'));
    await pair('exec "true"', 100, () => ctx.exec({ argv: ['true'], timeoutMs: 10_000, capBytes: 1024 }), () => sandbox.exec({ argv: ['true'], cwd: '/workspace', timeoutMs: 10_000, capBytes: 1024 }, signal));
    console.log('\nsandbox facade vs raw daemon call (ms, p50 of 4 interleaved rounds)\n');
    console.log('operation'.padEnd(30) + 'facade'.padStart(9) + 'raw'.padStart(9) + 'ratio'.padStart(8));
    for (const [name, f, r] of rows) console.log(name.padEnd(30) + f.toFixed(3).padStart(9) + r.toFixed(3).padStart(9) + (f / r).toFixed(2).padStart(8));
  } finally {
    await sandbox.shutdown('remove');
  }
}
