// file_import's all-or-nothing promise against a sandbox that fails part-way (a quota, a daemon restart):
// the files the call created are removed again and the error says so; host names the workspace cannot hold
// (backslash, control characters) are skipped with a notice, not written under another name.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonRequestError, type Sandbox } from '@suna/sandbox';
import { resolveImportSource } from '../../src/exchange/host-source.ts';
import { importIntoSandbox } from '../../src/exchange/import.ts';

describe('file_import into a sandbox that fails part-way', () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'suna-import-unit-'));
    mkdirSync(join(base, 'data'));
    for (const n of ['a.txt', 'b.txt', 'c.txt', 'd.txt']) writeFileSync(join(base, 'data', n), n);
    writeFileSync(join(base, 'data', 'back\\slash.txt'), 'x');
    writeFileSync(join(base, 'data', 'new\nline.txt'), 'x');
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  /** A sandbox whose workspace is empty, and whose `write` fails with `error` on the `failAt`-th call. */
  function failingSandbox(failAt: number, error: Error) {
    const written: string[] = [];
    const removed: string[] = [];
    let writes = 0;
    const sandbox = {
      async call(op: string, args: { path: string }) {
        if (op === 'stat') return null;
        if (op === 'mkdir') return { created: true };
        if (op === 'write') {
          if (++writes === failAt) throw error;
          written.push(args.path);
          return { bytes: 5, created: true };
        }
        if (op === 'remove') {
          removed.push(args.path);
          return { removed: true };
        }
        throw new Error(`unexpected op ${op}`);
      },
    } as unknown as Sandbox;
    return { written, removed, ctx: { sandbox, signal: new AbortController().signal, progress: async () => {} } };
  }

  it('removes the files it created when a later write fails, and says so', async () => {
    const { written, removed, ctx } = failingSandbox(3, new DaemonRequestError('ENOSPC', 'no space left on device'));
    const source = await resolveImportSource('data', [base]);
    await assert.rejects(importIntoSandbox(ctx, source, '/workspace/in'), /import stopped at "in\/c.txt": no space left on device; the 2 files it had created were removed again/);
    assert.deepEqual(written, ['/workspace/in/a.txt', '/workspace/in/b.txt']);
    assert.deepEqual(removed, written);
  });

  it('a file that appears in the workspace meanwhile is not replaced (exclusive write), and the import is undone', async () => {
    const { removed, ctx } = failingSandbox(2, new DaemonRequestError('EEXIST', 'already exists'));
    const source = await resolveImportSource('data', [base]);
    await assert.rejects(importIntoSandbox(ctx, source, '/workspace/in'), /"in\/b.txt" appeared in the workspace meanwhile and was not replaced; the file it had created was removed again/);
    assert.deepEqual(removed, ['/workspace/in/a.txt']);
  });

  it('skips host names the workspace cannot hold, with a notice', async () => {
    const { written, ctx } = failingSandbox(0, new Error('never'));
    const r = await importIntoSandbox(ctx, await resolveImportSource('data', [base]), '/workspace/in');
    assert.deepEqual(written, ['/workspace/in/a.txt', '/workspace/in/b.txt', '/workspace/in/c.txt', '/workspace/in/d.txt']);
    assert.equal(r.skipped.length, 2);
    assert.ok(r.skipped.every((s) => /name not accepted: contains (a backslash|control characters)/.test(s)));
  });
});
