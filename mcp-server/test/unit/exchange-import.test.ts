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

  /** A sandbox whose workspace is empty, and whose `write` of a path ending in `failOn` fails with `error`. */
  function failingSandbox(failOn: string, error: Error) {
    const written: string[] = [];
    const removed: string[] = [];
    const sandbox = {
      async call(op: string, args: { path: string }) {
        if (op === 'stat') return null;
        if (op === 'mkdir') return { created: true };
        if (op === 'write') {
          if (args.path.endsWith(failOn)) throw error;
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
    const { written, removed, ctx } = failingSandbox('/c.txt', new DaemonRequestError('ENOSPC', 'no space left on device'));
    const source = await resolveImportSource('data', [base]);
    await assert.rejects(importIntoSandbox(ctx, source, '/workspace/in'), /import stopped at "in\/c.txt": no space left on device; the 3 files it had created were removed again/);
    // Small files go a few at once: those already in flight land too, and are removed with the others.
    assert.deepEqual(written.sort(), ['/workspace/in/a.txt', '/workspace/in/b.txt', '/workspace/in/d.txt']);
    assert.deepEqual(removed.sort(), written);
  });

  it('a file that appears in the workspace meanwhile is not replaced (exclusive write), and the import is undone', async () => {
    const { removed, ctx } = failingSandbox('/b.txt', new DaemonRequestError('EEXIST', 'already exists'));
    const source = await resolveImportSource('data', [base]);
    await assert.rejects(importIntoSandbox(ctx, source, '/workspace/in'), /"in\/b.txt" appeared in the workspace meanwhile and was not replaced; the 3 files it had created were removed again/);
    assert.deepEqual(removed.sort(), ['/workspace/in/a.txt', '/workspace/in/c.txt', '/workspace/in/d.txt']);
  });

  it('skips host names the workspace cannot hold, with a notice', async () => {
    const { written, ctx } = failingSandbox('never', new Error('never'));
    const r = await importIntoSandbox(ctx, await resolveImportSource('data', [base]), '/workspace/in');
    assert.deepEqual(written.sort(), ['/workspace/in/a.txt', '/workspace/in/b.txt', '/workspace/in/c.txt', '/workspace/in/d.txt']);
    assert.equal(r.skipped.length, 2);
    assert.ok(r.skipped.every((s) => /name not accepted: contains (a backslash|control characters)/.test(s)));
  });
});
