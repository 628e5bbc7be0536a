// The host trusts nothing that comes out of the sandbox (issue 13, host half). A replaced daemon answers
// with the names and bytes of its choosing; here every host consumer is fed those answers directly, as a
// hooked daemon (or a hooked server, for the extension) would send them: `../`, absolute, backslash, NUL,
// drive-letter, over-long names and paths through symlinked folders. Each test asserts that nothing lands
// outside the destination, that the valid siblings still land, and that the refusals are reported.
// file_import's host path is the model's choice: it is held to the allowed folders the same way (no `..`, no
// symlink on the way, none followed inside a folder).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, promises as fsp, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import Keyv from 'keyv';
import tar from 'tar-stream';
import type { Sandbox } from '@suna/sandbox';
import { HOSTILE_PATHS } from '../../../shared/test/fixtures/hostile-paths.ts';
import { LocalSiteHost } from '../../src/deploy/static-host.ts';
import { collectSite } from '../../src/tools/deploy.ts';
import { bindSandbox } from '../../src/sandbox-facade.ts';
import { exportToHost, type ExportLimits } from '../../src/exchange/export.ts';
import { readHostFile, resolveImportSource, walkHostFolder } from '../../src/exchange/host-source.ts';
import { readSyncArchive } from '../../src/sync/archive.ts';
import { saneManifestEntries } from '../../src/sync/manifest.ts';
import { syncPathProblem } from '../../src/tools/sync.ts';
import { BaseStore } from '../../../extension/src/node/base-store.ts';
import { FsWorkspaceWriter } from '../../../extension/src/node/fs-writer.ts';
import type { Manifest, PulledFile, PushFile, SandboxSyncApi } from '../../../extension/src/node/sandbox-sync-api.ts';
import { SyncEngine } from '../../../extension/src/node/sync-engine.ts';
import { DEFAULT_CAPS } from '../../../extension/src/common/sync-planner.ts';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/**
 * A scratch folder holding `root` (the destination, nested deep enough that even a regression's
 * "../../../../x" lands inside the scratch folder) next to `outside` (a canary that must stay as it is).
 */
function scratch(): { base: string; root: string; outside: string; outsideUntouched(): void; dispose(): void } {
  const base = mkdtempSync(join(tmpdir(), 'suna-attacks-host-'));
  const root = join(base, 'l1/l2/l3/l4/root');
  const outside = join(base, 'outside');
  return {
    base,
    root,
    outside,
    outsideUntouched() {
      // Every file of the scratch folder outside `root`: only the canary, unchanged.
      const found = (readdirSync(base, { recursive: true }) as string[]).map((p) => p.split(sep).join('/')).filter((p) => !p.startsWith('l1/l2/l3/l4/root'));
      assert.deepEqual(found.sort(), ['l1', 'l1/l2', 'l1/l2/l3', 'l1/l2/l3/l4', 'outside', 'outside/victim.txt']);
      assert.equal(readFileSync(join(outside, 'victim.txt'), 'utf8'), 'original');
    },
    dispose: () => rmSync(base, { recursive: true, force: true }),
  };
}

async function prepare(s: ReturnType<typeof scratch>): Promise<void> {
  await fsp.mkdir(s.root, { recursive: true });
  await fsp.mkdir(s.outside, { recursive: true });
  await fsp.writeFile(join(s.outside, 'victim.txt'), 'original');
}

/** The escape the issue verified on main: as deep as needed to leave any data dir. */
const ESCAPES = ['../../../../x.txt', '../x.txt', '../outside/victim.txt'];

describe('host attacks: everything out of the sandbox is hostile data', function () {
  this.timeout(60_000);

  describe('local site_deploy copy (LocalSiteHost.deploy), fed a hostile file list', () => {
    let s: ReturnType<typeof scratch>;
    let host: LocalSiteHost;
    beforeEach(async () => {
      s = scratch();
      await prepare(s);
      host = new LocalSiteHost(s.root, new Keyv(), '127.0.0.1');
    });
    afterEach(async () => {
      await host.close();
      s.dispose();
    });

    it('refuses ../, absolute, backslash, NUL, drive-letter and over-long names; the valid siblings are served', async () => {
      const hostile = [...ESCAPES, ...HOSTILE_PATHS.map(([p]) => p)];
      const files = [
        { path: 'index.html', data: Buffer.from('<h1>ok</h1>') },
        ...hostile.map((path) => ({ path, data: Buffer.from('pwned') })),
        { path: 'assets/app.js', data: Buffer.from('console.log(1)') },
      ];
      const r = await host.deploy('site', files);
      assert.equal(r.files, 2);
      assert.equal(r.refused.length, hostile.length);
      for (const f of r.refused) assert.doesNotMatch(f.reason, new RegExp(s.base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'no host path in the reason');
      s.outsideUntouched();
      const sitesDir = join(s.root, 'sites');
      assert.deepEqual(readdirSync(sitesDir), ['site']);
      assert.deepEqual(readdirSync(join(sitesDir, 'site')).sort(), ['assets', 'index.html']);
      assert.equal(await (await fetch(r.url)).text(), '<h1>ok</h1>');
      assert.equal(await (await fetch(`${r.url}assets/app.js`)).text(), 'console.log(1)');
    });

    it('a file where a folder should be, or a folder name reused as a file, is refused, not merged into something else', async () => {
      const r = await host.deploy('site', [
        { path: 'index.html', data: Buffer.from('i') },
        { path: 'a', data: Buffer.from('file a') },
        { path: 'a/b.txt', data: Buffer.from('under a file') },
        { path: 'dir/x.txt', data: Buffer.from('x') },
        { path: 'dir', data: Buffer.from('over a folder') },
      ]);
      assert.deepEqual(r.refused.map((f) => f.path), ['a/b.txt', 'dir']);
      assert.equal(await fsp.readFile(join(s.root, 'sites/site/dir/x.txt'), 'utf8'), 'x');
      s.outsideUntouched();
    });

    it('a hooked daemon answering the manifest with escapes: collectSite refuses them by name before any read', async () => {
      const reads: string[] = [];
      const daemon = {
        async call(op: string, args: { path: string }) {
          if (op === 'stat') return { path: args.path, type: 'dir', size: 0, mtimeMs: 0, mode: 0o755 };
          if (op === 'manifest')
            return {
              truncated: false,
              skipped: ['../skipped-escape'],
              entries: [
                { path: 'index.html', type: 'file', size: 4, mtimeMs: 0, mode: 0o644, sha256: sha('page') },
                ...[...ESCAPES, '/abs.txt', 'a\\b.txt', 'nul\0.txt', 'C:x.txt', 'x'.repeat(2000)].map((p) => ({ path: p, type: 'file', size: 5, mtimeMs: 0, mode: 0o644, sha256: sha('pwned') })),
                { path: 42, type: 'file', size: -1 },
                null,
              ],
            };
          if (op === 'read') {
            reads.push(args.path);
            return { data: Buffer.from(args.path.endsWith('index.html') ? 'page' : 'pwned').toString('base64'), size: 4, truncated: false };
          }
          throw new Error(`unexpected op ${op}`);
        },
      } as unknown as Sandbox;
      const { files, skipped } = await collectSite(bindSandbox(daemon, new AbortController().signal), '/workspace/dist');
      assert.deepEqual(files.map((f) => f.path), ['index.html']);
      assert.deepEqual(reads, ['/workspace/dist/index.html'], 'nothing read for a refused name');
      assert.equal(skipped.filter((n) => n.includes('refused')).length, 10);
      assert.ok(!skipped.includes('../skipped-escape'));
      const r = await host.deploy('site', files);
      assert.deepEqual(r.refused, []);
      s.outsideUntouched();
    });
  });

  describe("the extension's pull-back writer (FsWorkspaceWriter)", () => {
    let s: ReturnType<typeof scratch>;
    beforeEach(async () => {
      s = scratch();
      await prepare(s);
    });
    afterEach(() => s.dispose());

    it('refuses every hostile name and never writes through a symlinked workspace folder; valid siblings land', async () => {
      const w = new FsWorkspaceWriter(s.root);
      await fsp.symlink(s.outside, join(s.root, 'ext'));
      await fsp.symlink('../outside', join(s.root, 'rel'));
      for (const p of [...ESCAPES, ...HOSTILE_PATHS.map(([h]) => h), 'ext/x', 'ext/victim.txt', 'rel/victim.txt', 'ext/new/deeper.txt'])
        await assert.rejects(w.write(p, Buffer.from('pwned'), {}), JSON.stringify(p.slice(0, 40)));
      await w.write('src/ok.ts', Buffer.from('ok'), { mode: 0o755 });
      await assert.rejects(w.remove('ext/victim.txt'));
      assert.equal(await fsp.readFile(join(s.root, 'src/ok.ts'), 'utf8'), 'ok');
      assert.equal(await fsp.readFile(join(s.outside, 'victim.txt'), 'utf8'), 'original');
      s.outsideUntouched();
    });
  });

  describe('the extension sync engine against a hooked server (hostile manifest and pull answers)', () => {
    let s: ReturnType<typeof scratch>;
    beforeEach(async () => {
      s = scratch();
      await prepare(s);
    });
    afterEach(() => s.dispose());

    /** A SandboxSyncApi whose answers the attacker writes; pushes are recorded. */
    function hookedApi(files: Record<string, string>): SandboxSyncApi & { pushed: PushFile[] } {
      const pushed: PushFile[] = [];
      return {
        pushed,
        async manifest(): Promise<Manifest> {
          const entries = new Map(Object.entries(files).map(([path, c]) => [path, { path, type: 'file' as const, size: c.length, sha256: sha(c), mode: 0o644 }]));
          return { entries, complete: true, skipped: [] };
        },
        async push(batch: PushFile[]) {
          pushed.push(...batch);
          return { mismatched: [], failed: [] };
        },
        async pull(paths: string[]): Promise<PulledFile[]> {
          // A hooked server also answers with paths nobody asked for.
          return [...paths.map((p) => (p in files ? { path: p, data: Buffer.from(files[p]!), sha256: sha(files[p]!), mode: 0o644 } : { path: p, missing: true })), { path: '../../rogue.txt', data: Buffer.from('x'), sha256: sha('x') }];
        },
      };
    }

    it('skips an absolute or escaping symlink of the workspace with a notice (the rest still syncs), and never writes through a symlinked folder', async () => {
      await fsp.writeFile(join(s.root, 'mine.txt'), 'mine');
      await fsp.symlink(s.outside, join(s.root, 'ext')); // ext → /…/outside (absolute)
      await fsp.symlink('../outside/victim.txt', join(s.root, 'up.txt'));
      await fsp.symlink(join(s.outside, 'victim.txt'), join(s.root, 'abs.txt'));
      await fsp.symlink('mine.txt', join(s.root, 'inside-link'));
      const sandboxSide: Record<string, string> = { 'good.txt': 'from the agent', 'ext/x.txt': 'pwned', 'ext/victim.txt': 'pwned', 'abs.txt': 'pwned', 'up.txt': 'pwned' };
      for (const [p] of HOSTILE_PATHS) sandboxSide[p] = 'pwned';
      for (const p of ESCAPES) sandboxSide[p] = 'pwned';
      sandboxSide['GIT~1/hooks/pre-commit'] = 'pwned';
      const api = hookedApi(sandboxSide);
      const log: string[] = [];
      const engine = new SyncEngine({ root: s.root, api, writer: new FsWorkspaceWriter(s.root), base: new BaseStore(null), caps: DEFAULT_CAPS, log: (l) => log.push(l) });

      await engine.start();
      assert.notEqual(engine.state.state, 'error', engine.state.message);
      assert.deepEqual(api.pushed.map((f) => f.path).sort(), ['inside-link', 'mine.txt'], 'only the workspace itself is pushed');
      const reasons = new Map(engine.state.skipped.map((i) => [i.path, i.reason]));
      for (const p of ['ext', 'abs.txt']) assert.match(reasons.get(p) ?? '', /absolute: not synced/, p);
      assert.match(reasons.get('up.txt') ?? '', /leaves the workspace: not synced/);
      assert.match(reasons.get('ext/x.txt') ?? '', /symlink: nothing is written through it/);
      assert.match(reasons.get('../x.txt') ?? '', /leaves the workspace/);
      assert.match(reasons.get('GIT~1/hooks/pre-commit') ?? '', /short-name/);

      assert.equal(await fsp.readFile(join(s.root, 'good.txt'), 'utf8'), 'from the agent', 'the valid sibling lands');
      assert.equal(await fsp.readFile(join(s.outside, 'victim.txt'), 'utf8'), 'original');
      assert.equal((await fsp.lstat(join(s.root, 'abs.txt'))).isSymbolicLink(), true, 'the local symlink is left alone');
      s.outsideUntouched();

      // Later pulls (full and targeted) meet the same answers: still nothing outside, no error.
      await engine.pull();
      await engine.pullPaths(['ext/x.txt', '../x.txt', 'good.txt']);
      // A watcher event behind the symlinked folder: what is there is not the workspace, so it is not pushed.
      engine.notifyChanged(['ext/victim.txt', 'ext']);
      await engine.settle();
      assert.ok(!api.pushed.some((f) => f.path.startsWith('ext') || Buffer.from(f.data).toString() === 'original'), 'nothing behind ext/ is read or pushed');
      assert.notEqual(engine.state.state, 'error', engine.state.message);
      s.outsideUntouched();
      assert.ok(!readdirSync(s.root).includes('rogue.txt'));
    });
  });

  describe('file_export (exportToHost) against a hooked daemon', () => {
    let s: ReturnType<typeof scratch>;
    beforeEach(async () => {
      s = scratch();
      await prepare(s);
    });
    afterEach(() => s.dispose());

    const SMALL: ExportLimits = { maxFileBytes: 1000, maxTotalBytes: 1500, maxEntries: 20, chunkBytes: 100 };
    const file = (path: unknown, size = 2) => ({ path, type: 'file', size });

    /** A daemon that says /workspace/dist is a folder holding `entries`, and answers reads with `read`. */
    function hooked(entries: unknown[], read?: (args: { path: string; offset?: number; maxBytes: number }) => unknown) {
      const reads: string[] = [];
      const sandbox = {
        async call(op: string, args: { path: string; offset?: number; maxBytes: number }) {
          if (op === 'stat') return { path: args.path, type: 'dir', size: 0, mtimeMs: 0, mode: 0o755 };
          if (op === 'listdir') return { truncated: false, entries };
          if (op === 'read') {
            reads.push(args.path);
            return read ? read(args) : { data: Buffer.from('ok').toString('base64'), size: 2, truncated: false };
          }
          throw new Error(`unexpected op ${op}`);
        },
        async exec() {
          return { exitCode: 1 }; // `test -L`: not a symlink
        },
      } as unknown as Sandbox;
      return { reads, ctx: { sandbox, signal: new AbortController().signal, progress: async () => {} } };
    }

    /** Nothing of a failed export is left: no copy, no staging folder. */
    const nothingExported = () => assert.deepEqual(readdirSync(s.root), []);

    it('refuses escaping, absolute, backslash, NUL, drive-letter and over-long names before any read; symlink entries are never recreated', async () => {
      const hostile = [...ESCAPES, ...HOSTILE_PATHS.map(([p]) => p)];
      const { reads, ctx } = hooked([
        file('a.txt'),
        { path: 'sub', type: 'dir', size: 0 },
        file('sub/b.txt'),
        ...hostile.map((p) => file(p)),
        ...hostile.map((p) => ({ path: p, type: 'dir', size: 0 })),
        { path: 'link', type: 'symlink', size: 0 },
        { path: 'fifo', type: 'other', size: 0 },
        file('c/d.txt'),
        file('a.txt/nested.txt'), // a file where the list itself put a file: refused on the host
        file('c'), // and a file listed after its own children
        file('sub/b.txt'), // and a name twice
        { path: 42, type: 'file', size: 1 },
        null,
      ]);
      const r = await exportToHost(ctx, '/workspace/dist', s.root);
      assert.deepEqual(reads.sort(), ['/workspace/dist/a.txt', '/workspace/dist/c/d.txt', '/workspace/dist/sub/b.txt'], 'nothing read for a refused name');
      assert.deepEqual(r.files, ['dist/a.txt', 'dist/c/d.txt', 'dist/sub/b.txt']);
      assert.equal(r.skipped.filter((n) => n.includes('another entry of the list takes its place')).length, 3);
      assert.equal(r.skipped.filter((n) => n.includes('refused name')).length, hostile.length * 2 + 1); // and the entry named 42
      assert.ok(r.skipped.includes('dist/link (symlink, not copied)'));
      assert.ok(r.skipped.some((n) => n.startsWith('dist/a.txt/nested.txt')));
      assert.deepEqual((readdirSync(s.root, { recursive: true }) as string[]).map((p) => p.split(sep).join('/')).sort(), ['dist', 'dist/a.txt', 'dist/c', 'dist/c/d.txt', 'dist/sub', 'dist/sub/b.txt']);
      s.outsideUntouched();
    });

    it('a daemon that sends more than asked, never finishes a file, or lies about sizes is cut off; nothing is left behind', async () => {
      const attempts: Array<[string, unknown[], (a: { offset?: number }) => unknown, RegExp]> = [
        ['an oversized chunk', [file('a.txt')], () => ({ data: Buffer.alloc(101).toString('base64'), size: 101, truncated: false }), /more data than asked for/],
        ['an endless file, one byte at a time', [file('a.txt')], () => ({ data: Buffer.from('x').toString('base64'), size: 1, truncated: true }), /did not come out of the sandbox whole/],
        ['a file past the per-file cap', [file('a.txt')], () => ({ data: Buffer.alloc(100).toString('base64'), size: 5000, truncated: true }), /over the 1000 byte limit|did not come out/],
        ['small sizes listed, large files sent', [file('a.txt', 1), file('b.txt', 1)], (a) => ({ data: Buffer.alloc(100).toString('base64'), size: 1, truncated: (a.offset ?? 0) < 800 }), /over the 0 MB total limit/],
        ['no data while claiming more', [file('a.txt')], () => ({ data: '', size: 10, truncated: true }), /did not come out of the sandbox whole/],
        ['more entries than the cap', Array.from({ length: 21 }, (_, i) => file(`f${i}`)), () => ({ data: '', size: 0, truncated: false }), /more than 20 entries/],
      ];
      for (const [what, entries, read, why] of attempts) {
        const { ctx } = hooked(entries, read);
        await assert.rejects(exportToHost(ctx, '/workspace/dist', s.root, { limits: SMALL }), why, what);
        nothingExported();
      }
      s.outsideUntouched();
    });

    it('merging into an existing export never writes through a symlink planted in it', async () => {
      await fsp.mkdir(join(s.root, 'dist'));
      await fsp.symlink(s.outside, join(s.root, 'dist/sub'));
      const { ctx } = hooked([file('sub/victim.txt')], () => ({ data: Buffer.from('pwned').toString('base64'), size: 5, truncated: false }));
      await assert.rejects(exportToHost(ctx, '/workspace/dist', s.root, { overwrite: true }), /symlink: nothing is written through it/);
      assert.ok(!readdirSync(s.root).some((n) => n.startsWith('.suna-export-')));
      s.outsideUntouched();
    });
  });

  describe('file_import host side: the model chooses host_path', () => {
    let s: ReturnType<typeof scratch>;
    beforeEach(async () => {
      s = scratch();
      await prepare(s);
      await fsp.mkdir(join(s.root, 'data/sub'), { recursive: true });
      await fsp.writeFile(join(s.root, 'data/ok.txt'), 'ok');
      await fsp.writeFile(join(s.root, 'data/sub/deep.txt'), 'deep');
      await fsp.symlink(s.outside, join(s.root, 'out-dir'));
      await fsp.symlink(join(s.outside, 'victim.txt'), join(s.root, 'victim-link.txt'));
      await fsp.symlink(s.outside, join(s.root, 'data/sub/out-dir'));
      await fsp.symlink('../../outside/victim.txt', join(s.root, 'data/rel-link.txt'));
    });
    afterEach(() => s.dispose());

    it('refuses .., paths outside the allowed folders, prefix collisions and every symlink on the way', async () => {
      const hostile = [
        '../outside/victim.txt',
        `${s.root}/../../../../../outside/victim.txt`,
        `${s.root}/data/..`,
        'data\\..\\..\\outside',
        join(s.outside, 'victim.txt'),
        `${s.root}_evil/x`,
        '/etc/passwd',
        'out-dir/victim.txt',
        'out-dir',
        'victim-link.txt',
        'data/sub/out-dir/victim.txt',
        'data/rel-link.txt',
        'data/ok.txt\0.png',
        'data/ok\n.txt',
        '',
      ];
      for (const p of hostile) await assert.rejects(resolveImportSource(p, [s.root]), (err: unknown) => err instanceof Error && err.name === 'ToolError', JSON.stringify(p));
      await assert.rejects(resolveImportSource('data/ok.txt', []), /outside the folders file_import may read \(\(none configured\)\)/);
      await assert.rejects(resolveImportSource('x.txt', [join(s.base, 'not-yet')]), /does not exist: the folder .*not-yet does not exist yet/);
      const ok = await resolveImportSource(join(s.root, 'data/ok.txt'), [s.outside, s.root]);
      assert.equal(ok.path, join(s.root, 'data/ok.txt'));
      // An allowed root reached through a symlink is the user's own configuration: trusted.
      await fsp.symlink(s.root, join(s.base, 'root-link'));
      assert.equal((await resolveImportSource(join(s.base, 'root-link/data/ok.txt'), [join(s.base, 'root-link')])).path, join(s.root, 'data/ok.txt'));
    });

    it('a folder walk skips symlinks (never followed), and reading never follows one or blocks on a FIFO', async () => {
      execFileSync('mkfifo', [join(s.root, 'data/pipe')]);
      const tree = await walkHostFolder(await resolveImportSource('data', [s.root]));
      assert.deepEqual(tree.files.map((f) => f.rel), ['ok.txt', 'sub/deep.txt']);
      assert.deepEqual(tree.skipped, ['pipe (not a regular file)', 'rel-link.txt (symlink, not followed)', 'sub/out-dir (symlink, not followed)']);
      await assert.rejects(readHostFile(s.root, join(s.root, 'victim-link.txt'), 1000), /ELOOP|symbolic link/);
      await assert.rejects(readHostFile(s.root, join(s.root, 'data/pipe'), 1000), /no longer a regular file/);
      await assert.rejects(readHostFile(join(s.root, 'data/sub'), join(s.root, 'data/ok.txt'), 1000), /moved outside the allowed folder/);
      assert.equal((await readHostFile(s.root, join(s.root, 'data/ok.txt'), 1000)).toString(), 'ok');
      await assert.rejects(walkHostFolder(await resolveImportSource('data', [s.root]), { maxFileBytes: 3, maxTotalBytes: 100, maxEntries: 100, maxDepth: 8 }), /over the 0 MB per-file import limit/);
      s.outsideUntouched();
    });
  });

  describe('the sync tools (server side of workspace_sync_*)', () => {
    async function archive(entries: Array<{ name: string; type?: 'file' | 'symlink'; linkname?: string; data?: string }>): Promise<Buffer> {
      const pack = tar.pack();
      const chunks: Buffer[] = [];
      pack.on('data', (c: Buffer) => chunks.push(c));
      const done = new Promise((r) => pack.on('end', r));
      for (const e of entries) {
        const data = Buffer.from(e.data ?? '');
        await new Promise<void>((resolve, reject) =>
          pack.entry({ name: e.name, type: e.type ?? 'file', linkname: e.linkname, size: e.type === 'symlink' ? 0 : data.length }, e.type === 'symlink' ? Buffer.alloc(0) : data, (err) => (err ? reject(err) : resolve())),
        );
      }
      pack.finalize();
      await done;
      return Buffer.concat(chunks);
    }

    it('refuse hostile names in an archive, a delete list or a pull list, with the shared rule', async () => {
      for (const [p, why] of HOSTILE_PATHS) {
        assert.match(syncPathProblem(p) ?? 'accepted', why);
        // tar cannot carry these as such: it normalises "", "./a", "a/" and cuts a name at its NUL.
        if (p === '' || p.endsWith('/') || p.startsWith('./') || p.includes('\0')) continue;
        await assert.rejects(readSyncArchive(await archive([{ name: 'ok.txt', data: 'x' }, { name: p, data: 'x' }])), /archive refused, nothing was written/, JSON.stringify(p.slice(0, 40)));
      }
      for (const [name, linkname] of [['l', '/etc/passwd'], ['a/l', '../../x'], ['l', 'C:\\x'], ['l', '.git/config']])
        await assert.rejects(readSyncArchive(await archive([{ name, type: 'symlink', linkname }])), /archive refused/, `${name} → ${linkname}`);
      const ok = await readSyncArchive(await archive([{ name: 'a/ok.txt', data: 'x' }, { name: 'a/l', type: 'symlink', linkname: '../a/ok.txt' }]));
      assert.deepEqual(ok.entries.map((e) => e.path), ['a/ok.txt', 'a/l']);
    });

    it('a hooked daemon manifest: badly named or malformed entries are left out, the valid ones pass', () => {
      const good = { path: 'src/a.ts', type: 'file', size: 3, mtimeMs: 0, mode: 0o644, sha256: sha('abc') };
      const answer = {
        entries: [
          good,
          ...[...ESCAPES, ...HOSTILE_PATHS.map(([p]) => p), '.git/config', 'GIT~1/config'].map((path) => ({ ...good, path })),
          { ...good, path: 'b', type: 'dir' },
          { ...good, path: 'c', size: -1 },
          { ...good, path: 'd', size: 1e300 },
          { ...good, path: 'e', sha256: '../../x' },
          { ...good, path: 'f', type: 'symlink', target: 'a\0b' },
          { ...good, path: 'g', mode: '0644' },
          'junk',
          null,
        ],
      };
      assert.deepEqual(saneManifestEntries(answer), [good]);
      assert.deepEqual(saneManifestEntries({ entries: 'not a list' }), []);
      assert.deepEqual(saneManifestEntries(null), []);
    });
  });
});
