// Sync benchmark: initial sync of a generated workspace (default 5,000 files / 50 MB) into a real sandbox,
// then single-file edits reaching the sandbox (write on disk → watcher notice → pushed, p50/p95).
// Exported for the repository's bench script; `tsx extension/test/bench-sync.ts` runs it alone.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { makeWorkspace, sh, startSandboxServer, syncFixture } from './fixtures/sandbox-server.ts';

export interface SyncBenchResult {
  files: number;
  bytes: number;
  initialSyncMs: number;
  edits: number;
  editP50Ms: number;
  editP95Ms: number;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

export async function benchSync(opts: { files?: number; totalBytes?: number; edits?: number; log?: (l: string) => void } = {}): Promise<SyncBenchResult> {
  const files = opts.files ?? 5000;
  const totalBytes = opts.totalBytes ?? 50 * 1024 * 1024;
  const edits = opts.edits ?? 40;
  const per = Math.floor(totalBytes / files);
  const content: Record<string, Buffer> = {};
  for (let i = 0; i < files; i++) {
    // Source-like text (base64 of random bytes, in lines), spread over 50 folders.
    const text = randomBytes(Math.ceil((per * 3) / 4)).toString('base64').slice(0, per).replace(/(.{100})/g, '$1\n');
    content[`pkg${i % 50}/src/file${i}.ts`] = Buffer.from(text);
  }
  const root = await makeWorkspace({ ...content, '.gitignore': 'node_modules/\n' });
  const conn = startSandboxServer(opts.log);
  try {
    await conn.listTools();
    await sh(conn, 'true'); // the sandbox is up before the clock starts
    const f = syncFixture(conn, root);
    const t0 = performance.now();
    await f.engine.start();
    const initialSyncMs = performance.now() - t0;
    const inSandbox = Number((await sh(conn, 'find . -type f -not -path "./.suna/*" | wc -l')).trim());
    if (inSandbox !== files + 1) throw new Error(`expected ${files + 1} files in the sandbox, found ${inSandbox}`);

    const times: number[] = [];
    for (let i = 0; i < edits; i++) {
      const path = `pkg${i % 50}/src/file${i}.ts`;
      const start = performance.now();
      await fsp.writeFile(join(root, path), `export const edit${i} = ${i};\n`);
      f.engine.notifyChanged([path]);
      await f.engine.settle();
      times.push(performance.now() - start);
    }
    const last = `pkg${(edits - 1) % 50}/src/file${edits - 1}.ts`;
    if ((await sh(conn, `cat ${last}`)) !== `export const edit${edits - 1} = ${edits - 1};\n`) throw new Error('the last edit did not reach the sandbox');
    return {
      files,
      bytes: files * per,
      initialSyncMs: Math.round(initialSyncMs),
      edits,
      editP50Ms: Math.round(percentile(times, 50)),
      editP95Ms: Math.round(percentile(times, 95)),
    };
  } finally {
    await conn.dispose();
    await fsp.rm(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchSync({ log: (l) => process.stderr.write(`${l}\n`) });
  console.log(JSON.stringify(r, null, 2));
  console.log(`initial sync ${r.files} files / ${(r.bytes / 1024 / 1024).toFixed(0)} MB: ${r.initialSyncMs} ms (target ≤ 5000); edit → sandbox p50 ${r.editP50Ms} ms, p95 ${r.editP95Ms} ms (target ≤ 300)`);
}
