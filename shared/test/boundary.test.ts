// The host side of the sandbox boundary: the one path rule for names that come out of the sandbox, and
// the one safe writer for their bytes, tried with hostile names and hostile folders on a real file system.
import assert from 'node:assert/strict';
import { mkdtempSync, promises as fsp, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertNoSymlinkOnPath,
  assertSandboxPath,
  isShortNameAlias,
  normaliseSegment,
  safeMkdir,
  safeRemove,
  safeWriteFile,
  SandboxPathError,
  sandboxPathProblem,
  symlinkTargetProblem,
  syncPathProblem,
  UnsafeWriteError,
} from '../src/boundary/index.ts';
import { HOSTILE_PATHS } from './fixtures/hostile-paths.ts';

describe('sandbox path rule (boundary)', () => {
  it('accepts plain relative POSIX paths, spaces, unicode and dot-files', () => {
    for (const p of ['index.html', 'a/b/c.txt', 'dir with space/é.md', '.gitignore', '.well-known/x', '..hidden', 'a..b', `${'x'.repeat(255)}/y`])
      assert.equal(sandboxPathProblem(p), null, p);
  });

  it('refuses every hostile shape, saying which rule it breaks', () => {
    for (const [p, why] of HOSTILE_PATHS) assert.match(sandboxPathProblem(p) ?? 'accepted', why, JSON.stringify(p.slice(0, 40)));
    assert.match(sandboxPathProblem(42) ?? 'accepted', /not a string/);
    assert.match(sandboxPathProblem(undefined) ?? 'accepted', /not a string/);
  });

  it('assertSandboxPath throws a typed error that quotes the path (controls visible, shortened) and the rule', () => {
    assert.throws(() => assertSandboxPath('../x\n'), (err: unknown) => {
      assert.ok(err instanceof SandboxPathError);
      assert.equal(err.code, 'BAD_SANDBOX_PATH');
      assert.match(err.message, /"\.\.\/x\\n"/);
      return true;
    });
    assert.throws(() => assertSandboxPath('a/'.repeat(600)), (err: Error) => err.message.length < 300);
    assert.doesNotThrow(() => assertSandboxPath('ok/file.txt'));
  });

  it('the sync rule adds .git at any depth and in any spelling, .suna at the top, and 8.3 short names', () => {
    for (const [p, why] of [
      ['.git/config', /inside .git/],
      ['vendor/lib/.git/hooks/post-checkout', /inside .git/],
      ['.GIT/config', /inside .git/],
      ['.git./config', /inside .git/],
      ['.git /hooks/pre-commit', /inside .git/],
      ['GIT~1/config', /short-name/],
      ['src/PROGRA~2.TXT', /short-name/],
      ['.suna/output/1.log', /never syncs/],
      ['.SUNA./x', /never syncs/],
      ['../x', /leaves/],
    ] as Array<[string, RegExp]>)
      assert.match(syncPathProblem(p) ?? 'accepted', why, p);
    for (const p of ['.github/workflows/ci.yml', '.gitignore', 'a/.suna/x', 'tilde~x', 'backup~']) assert.equal(syncPathProblem(p), null, p);
  });

  it('normalises a segment as a case-insensitive file system would', () => {
    assert.equal(normaliseSegment('.VSCode. . '), '.vscode');
    assert.equal(normaliseSegment('E\u0301NVRC'), 'énvrc');
    assert.equal(isShortNameAlias('GIT~1'), true);
    assert.equal(isShortNameAlias('notes~'), false);
  });

  it('keeps symlinks inside the workspace: absolute, climbing, backslash and .git targets are refused', () => {
    assert.equal(symlinkTargetProblem('a/link', 'b.txt'), null);
    assert.equal(symlinkTargetProblem('a/b/link', '../../README.md'), null);
    assert.equal(symlinkTargetProblem('link', '.'), null);
    assert.match(symlinkTargetProblem('link', '/etc/passwd') ?? 'accepted', /absolute/);
    assert.match(symlinkTargetProblem('a/link', '../../etc/passwd') ?? 'accepted', /leaves the workspace/);
    assert.match(symlinkTargetProblem('link', 'C:\\Windows') ?? 'accepted', /absolute/);
    assert.match(symlinkTargetProblem('a/link', '../.git/config') ?? 'accepted', /inside .git/);
    assert.match(symlinkTargetProblem('link', '') ?? 'accepted', /empty/);
  });
});

describe('safe writer (boundary)', () => {
  let base: string;
  let root: string;
  let outside: string;
  beforeEach(async () => {
    base = mkdtempSync(join(tmpdir(), 'suna-boundary-'));
    root = join(base, 'root');
    outside = join(base, 'outside');
    await fsp.mkdir(root);
    await fsp.mkdir(outside);
    await fsp.writeFile(join(outside, 'victim.txt'), 'original');
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  const outsideUntouched = () => {
    assert.deepEqual(readdirSync(outside).sort(), ['victim.txt']);
    assert.deepEqual(readdirSync(base).sort(), ['outside', 'root']);
  };

  it('writes a nested file, creating its folders, with 0644 or 0755 and no temp file left', async () => {
    await safeWriteFile(root, 'a/b/c.txt', 'hello');
    await safeWriteFile(root, 'bin/run.sh', '#!/bin/sh\n', { executable: true, durable: true });
    assert.equal(await fsp.readFile(join(root, 'a/b/c.txt'), 'utf8'), 'hello');
    assert.equal(statSync(join(root, 'a/b/c.txt')).mode & 0o777, 0o644);
    assert.equal(statSync(join(root, 'bin/run.sh')).mode & 0o777, 0o755);
    assert.deepEqual(readdirSync(join(root, 'a/b')), ['c.txt']);
  });

  it('refuses every hostile name before touching the disk', async () => {
    for (const [p] of HOSTILE_PATHS) await assert.rejects(safeWriteFile(root, p, 'x'), SandboxPathError, JSON.stringify(p.slice(0, 40)));
    assert.deepEqual(readdirSync(root), []);
    outsideUntouched();
  });

  it('never writes through a symlinked folder, at any depth, and says which one', async () => {
    await fsp.symlink(outside, join(root, 'ext'));
    await fsp.mkdir(join(root, 'deep/er'), { recursive: true });
    await fsp.symlink(outside, join(root, 'deep/er/link'));
    await fsp.symlink('../outside', join(root, 'rel'));
    for (const p of ['ext/x.txt', 'ext/victim.txt', 'ext/new/x.txt', 'deep/er/link/x.txt', 'rel/victim.txt']) {
      await assert.rejects(safeWriteFile(root, p, 'pwned'), (err: unknown) => err instanceof UnsafeWriteError && err.code === 'SYMLINK_IN_PATH' && !err.message.includes(base), p);
    }
    assert.equal(await fsp.readFile(join(outside, 'victim.txt'), 'utf8'), 'original');
    outsideUntouched();
  });

  it('replaces a symlink at the final name instead of writing through it', async () => {
    await fsp.symlink(join(outside, 'victim.txt'), join(root, 'link.txt'));
    await safeWriteFile(root, 'link.txt', 'mine');
    assert.equal((await fsp.lstat(join(root, 'link.txt'))).isFile(), true);
    assert.equal(await fsp.readFile(join(root, 'link.txt'), 'utf8'), 'mine');
    assert.equal(await fsp.readFile(join(outside, 'victim.txt'), 'utf8'), 'original');
  });

  it('does not replace a folder with a file, nor make a folder where a file is, nor exceed the size cap', async () => {
    await fsp.mkdir(join(root, 'dir'));
    await fsp.writeFile(join(root, 'file'), 'x');
    await assert.rejects(safeWriteFile(root, 'dir', 'x'), (e: unknown) => e instanceof UnsafeWriteError && e.code === 'IS_A_DIRECTORY');
    await assert.rejects(safeWriteFile(root, 'file/x', 'x'), (e: unknown) => e instanceof UnsafeWriteError && e.code === 'NOT_A_DIRECTORY');
    await assert.rejects(safeWriteFile(root, 'big', Buffer.alloc(11), { maxBytes: 10 }), (e: unknown) => e instanceof UnsafeWriteError && e.code === 'TOO_LARGE' && /over the 10 byte limit/.test(e.message));
    assert.deepEqual(readdirSync(root).sort(), ['dir', 'file']);
  });

  it('writes a stream of chunks, capped on the bytes received: over the cap, nothing is left', async () => {
    async function* chunks(n: number, size: number) {
      for (let i = 0; i < n; i++) yield Buffer.alloc(size, 97 + i);
    }
    assert.equal(await safeWriteFile(root, 's/ok.bin', chunks(3, 4), { maxBytes: 12 }), 12);
    assert.equal(await fsp.readFile(join(root, 's/ok.bin'), 'utf8'), 'aaaabbbbcccc');
    await assert.rejects(safeWriteFile(root, 's/big.bin', chunks(4, 4), { maxBytes: 12 }), (e: unknown) => e instanceof UnsafeWriteError && e.code === 'TOO_LARGE');
    async function* failing() {
      yield Buffer.from('half');
      throw new Error('the source stopped');
    }
    await assert.rejects(safeWriteFile(root, 's/half.bin', failing()), /the source stopped/);
    assert.deepEqual(readdirSync(join(root, 's')), ['ok.bin']);
  });

  it('makes folders without following a symlink or passing a file on the way', async () => {
    await fsp.symlink(outside, join(root, 'ext'));
    await fsp.writeFile(join(root, 'file'), 'x');
    await safeMkdir(root, 'a/b/c');
    assert.ok(statSync(join(root, 'a/b/c')).isDirectory());
    await assert.rejects(safeMkdir(root, 'ext/new'), (e: unknown) => e instanceof UnsafeWriteError && e.code === 'SYMLINK_IN_PATH');
    await assert.rejects(safeMkdir(root, 'file/new'), (e: unknown) => e instanceof UnsafeWriteError && e.code === 'NOT_A_DIRECTORY');
    await assert.rejects(safeMkdir(root, '../escape'), SandboxPathError);
    outsideUntouched();
  });

  it('fails closed when the destination folder is missing', async () => {
    await assert.rejects(safeWriteFile(join(base, 'nope'), 'a.txt', 'x'), (e: unknown) => e instanceof UnsafeWriteError && e.code === 'NO_ROOT');
  });

  it('removes a file, or a symlink itself (never its target), and never through a symlinked folder', async () => {
    await fsp.writeFile(join(root, 'f.txt'), 'x');
    await fsp.symlink(join(outside, 'victim.txt'), join(root, 'link'));
    await fsp.symlink(outside, join(root, 'ext'));
    assert.equal(await safeRemove(root, 'f.txt'), true);
    assert.equal(await safeRemove(root, 'link'), true);
    assert.equal(await safeRemove(root, 'missing/x'), false);
    await assert.rejects(safeRemove(root, 'ext/victim.txt'), (e: unknown) => e instanceof UnsafeWriteError && e.code === 'SYMLINK_IN_PATH');
    await assert.rejects(safeRemove(root, '../outside/victim.txt'), SandboxPathError);
    assert.deepEqual(readdirSync(root), ['ext']);
    outsideUntouched();
  });

  it('assertNoSymlinkOnPath finds a symlink anywhere on the way (the final one only when asked)', async () => {
    await fsp.symlink(outside, join(root, 'ext'));
    await fsp.symlink(join(outside, 'victim.txt'), join(root, 'link'));
    await assert.rejects(assertNoSymlinkOnPath(root, 'ext/x'), UnsafeWriteError);
    await assert.rejects(assertNoSymlinkOnPath(root, 'link'), UnsafeWriteError);
    await assertNoSymlinkOnPath(root, 'link', { allowFinalSymlink: true });
    await assertNoSymlinkOnPath(root, 'new/folder/x');
  });
});
