// The streamed initial push (initial-push.ts) against a recording fake of the server: files read straight into
// the archives that go out, cut into batches by size, and what changed between the scan and the read is handled:
// a file swapped for a symlink out of the workspace is not followed (its target's bytes never leave), a file
// that grew past the cap is reported, one that went away is left out.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseTar } from '@suna/shared/sync/tar';
import { DEFAULT_CAPS } from '../../src/common/sync-planner.ts';
import type { SyncIssue } from '../../src/common/protocol.ts';
import { streamInitialPush } from '../../src/node/initial-push.ts';
import type { PushFile, PushResult, SandboxSyncApi } from '../../src/node/sandbox-sync-api.ts';
import { readEntry, scanWorkspace } from '../../src/node/workspace-scan.ts';

const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

describe('initial push, streamed', () => {
  let top: string;
  let root: string;
  beforeEach(() => {
    top = mkdtempSync(join(tmpdir(), 'suna-initial-push-'));
    root = join(top, 'ws');
  });
  afterEach(() => fsp.rm(top, { recursive: true, force: true }));

  const put = async (rel: string, data: string | Buffer) => {
    await fsp.mkdir(dirname(join(root, rel)), { recursive: true });
    await fsp.writeFile(join(root, rel), data);
  };

  function recordingApi(raw: boolean) {
    const archives: Buffer[] = [];
    const pushed: PushFile[][] = [];
    const answer = async (): Promise<PushResult> => ({ mismatched: [], failed: [] });
    const api: SandboxSyncApi = {
      manifest: async () => ({ entries: new Map(), complete: true, skipped: [] }),
      push: async (files) => (pushed.push(files.map((f) => ({ ...f, data: Buffer.from(f.data) }))), answer()),
      pull: async () => [],
      ...(raw ? { pushArchive: async (tar: Buffer) => (archives.push(Buffer.from(tar)), answer()) } : {}),
    };
    return { api, archives, pushed };
  }

  it('reads files into size-cut archives; the base gets each file as sent', async () => {
    const big = (c: string) => Buffer.alloc(3 * 1024 * 1024, c);
    await put('a.txt', 'alpha');
    await put('src/deep/b.ts', 'export const b = 1;\n');
    await put('blob1', big('1'));
    await put('blob2', big('2'));
    await put('blob3', big('3'));
    await fsp.symlink('a.txt', join(root, 'link'));
    await fsp.chmod(join(root, 'a.txt'), 0o755);
    const scan = await scanWorkspace(root);
    const { api, archives } = recordingApi(true);
    const recorded = new Map<string, string>();
    const issues: SyncIssue[] = [];
    const sent = await streamInitialPush({ root, caps: DEFAULT_CAPS, api, record: (p, s, d) => (assert.equal(s, sha(d)), recorded.set(p, s)) }, scan.files, issues);

    assert.deepEqual(issues, []);
    assert.ok(archives.length >= 2, 'over 8 MB goes in more than one archive');
    for (const a of archives) assert.ok(a.length <= 8 * 1024 * 1024 + 1024, `an archive of ${a.length} bytes`);
    const entries = archives.flatMap((a) => parseTar(a, { maxEntries: 100 }));
    const byName = new Map(entries.map((e) => [e.name, e]));
    assert.deepEqual([...byName.keys()].sort(), ['a.txt', 'blob1', 'blob2', 'blob3', 'link', 'src/deep/b.ts']);
    assert.equal(byName.get('a.txt')!.data.toString(), 'alpha');
    assert.equal(byName.get('a.txt')!.mode, 0o755);
    assert.deepEqual([byName.get('link')!.type, byName.get('link')!.linkname], ['2', 'a.txt']);
    assert.ok(byName.get('blob2')!.data.equals(big('2')));
    assert.equal(recorded.get('src/deep/b.ts'), sha('export const b = 1;\n'));
    assert.equal(recorded.get('link'), sha('a.txt'), 'a symlink is recorded by its target, as the manifest hashes it');
    assert.equal(sent, 5 + 20 + 3 * 3 * 1024 * 1024 + 5);
  });

  it('the archives grow from 1 MB to 8 MB (the sandbox starts unpacking early); each holds what it says, none over its size', async () => {
    const files = 1300; // ≈ 13 MB of 10 KB files: 1 + 2 + 4 + 6 MB
    for (let i = 0; i < files; i++) await put(`pkg${i % 7}/f${i}.txt`, Buffer.alloc(10_000 + (i % 300), 0x61 + (i % 26)));
    const scan = await scanWorkspace(root);
    const { api, archives } = recordingApi(true);
    const recorded = new Map<string, string>();
    await streamInitialPush({ root, caps: DEFAULT_CAPS, api, record: (p, s) => recorded.set(p, s) }, scan.files, []);
    const sizes = archives.map((a) => a.length);
    assert.equal(sizes.length, 4, `archives of ${sizes.join(', ')} bytes`);
    const MB = 1024 * 1024;
    [1, 2, 4].forEach((limit, i) => assert.ok(sizes[i]! <= limit * MB + 1024 && sizes[i]! > (limit - 0.05) * MB, `archive ${i}: ${sizes[i]} bytes, limit ${limit} MB`));
    const entries = archives.flatMap((a) => parseTar(a, { maxEntries: 5000 }));
    assert.equal(entries.length, files);
    assert.equal(recorded.size, files);
    const e = entries.find((x) => x.name === 'pkg6/f1000.txt')!;
    assert.ok(e.data.equals(Buffer.alloc(10_000 + 100, 0x61 + (1000 % 26))));
  });

  it('a file swapped for a symlink out of the workspace after the scan is not followed; grown past the cap: reported; gone: left out', async () => {
    await fsp.mkdir(join(top, 'outside'));
    await fsp.writeFile(join(top, 'outside', 'secret'), 'TOP SECRET');
    await put('kept.txt', 'kept');
    await put('swapped.txt', 'harmless');
    await put('grown.txt', 'small');
    await put('gone.txt', 'bye');
    const scan = await scanWorkspace(root);
    await fsp.rm(join(root, 'swapped.txt'));
    await fsp.symlink(join(top, 'outside', 'secret'), join(root, 'swapped.txt'));
    await fsp.writeFile(join(root, 'grown.txt'), Buffer.alloc(DEFAULT_CAPS.maxFileBytes + 1, 0x61));
    await fsp.rm(join(root, 'gone.txt'));

    for (const raw of [true, false]) {
      const { api, archives, pushed } = recordingApi(raw);
      const issues: SyncIssue[] = [];
      await streamInitialPush({ root, caps: DEFAULT_CAPS, api, record: () => {} }, scan.files, issues);
      const names = raw ? archives.flatMap((a) => parseTar(a, { maxEntries: 100 }).map((e) => e.name)) : pushed.flat().map((f) => f.path);
      assert.deepEqual(names, ['kept.txt'], raw ? 'archive' : 'push()');
      for (const bytes of raw ? archives : pushed.flat().map((f) => Buffer.from(f.data))) assert.ok(!bytes.includes('TOP SECRET'), 'the symlink target was read');
      assert.deepEqual(issues.map((i) => i.path), ['grown.txt']);
      assert.match(issues[0]!.reason, /larger than 5 MB/);
    }
  });

  it('a failed push stops the reading and is thrown', async () => {
    for (let i = 0; i < 4; i++) await put(`f${i}`, Buffer.alloc(3 * 1024 * 1024, 0x62));
    const scan = await scanWorkspace(root);
    let calls = 0;
    const api: SandboxSyncApi = {
      manifest: async () => ({ entries: new Map(), complete: true, skipped: [] }),
      push: async () => assert.fail('the archive path is used'),
      pull: async () => [],
      pushArchive: async () => {
        calls++;
        throw new Error('refused by the server');
      },
    };
    await assert.rejects(streamInitialPush({ root, caps: DEFAULT_CAPS, api, record: () => assert.fail('nothing recorded') }, scan.files, []), /refused by the server/);
    assert.ok(calls <= 2, `${calls} archives sent after the failure`);
  });

  it('the scan follows .gitignore files at every level (read only where a folder has one)', async () => {
    await put('.gitignore', '*.log\n');
    await put('a.log', 'x');
    await put('keep.txt', 'x');
    await put('sub/.gitignore', 'secret.txt\n');
    await put('sub/secret.txt', 'x');
    await put('sub/deeper/secret.txt', 'x');
    await put('sub/deeper/b.log', 'x');
    await put('other/secret.txt', 'x');
    const scan = await scanWorkspace(root);
    assert.deepEqual([...scan.files.keys()].sort(), ['.gitignore', 'keep.txt', 'other/secret.txt', 'sub/.gitignore']);
  });
  it('a later push never follows a file swapped for a symlink since the scan (readEntry): the target outside stays unread', async () => {
    const secret = join(top, 'secret.txt');
    await fsp.writeFile(secret, 'host secret');
    await put('notes.txt', 'notes');
    const scan = await scanWorkspace(root);
    const entry = scan.files.get('notes.txt')!;
    assert.equal((await readEntry(root, 'notes.txt', entry))?.toString(), 'notes');
    await fsp.rm(join(root, 'notes.txt'));
    await fsp.symlink(secret, join(root, 'notes.txt'));
    assert.equal(await readEntry(root, 'notes.txt', entry), null);
  });
});
