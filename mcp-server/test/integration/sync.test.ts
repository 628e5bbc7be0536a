// workspace_sync_* through the real MCP SDK client, the built CLI and the real Docker Engine: hidden
// without --sync-tools; archives validated entry by entry (a bad one refuses the whole archive); manifest
// hashes match what was pushed; pulls come back in batches; if_match protects changed sandbox files.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { packTar } from '@suna/shared/sync/tar';
import tar from 'tar-stream';
import { startServer, type TestServer } from '../fixtures/server.ts';

type Entry = { name: string; data?: string | Buffer; type?: 'file' | 'symlink' | 'link' | 'directory' | 'character-device'; linkname?: string; mode?: number };

async function archive(entries: Entry[]): Promise<string> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((r) => pack.on('end', r));
  for (const e of entries) {
    const data = e.data === undefined ? undefined : Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data);
    const header = { name: e.name, type: e.type ?? 'file', mode: e.mode ?? 0o644, linkname: e.linkname, size: data?.length ?? 0 } as tar.Headers;
    await new Promise<void>((resolve, reject) => pack.entry(header, data ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks).toString('base64');
}

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

interface PulledFile {
  path: string;
  data?: string;
  missing?: true;
  sha256?: string;
  mode?: number;
}

describe('workspace sync tools (stdio, real sandbox)', function () {
  this.timeout(180_000);
  let s: TestServer;
  before(async () => {
    s = await startServer({ args: ['--sync-tools'] });
  });
  after(async () => s?.close());

  it('are hidden from a server started without --sync-tools', async () => {
    const plain = await startServer();
    try {
      const { tools } = await plain.client.listTools();
      assert.deepEqual(tools.filter((t) => t.name.startsWith('workspace_sync')), []);
      assert.ok(tools.some((t) => t.name === 'file_read'));
    } finally {
      await plain.close();
    }
  });

  it('push writes files, folders, modes and in-workspace symlinks; the manifest hashes match', async () => {
    const a = await archive([
      { name: 'proj/', type: 'directory', mode: 0o755 },
      { name: 'proj/README.md', data: '# hello\n' },
      { name: 'proj/run.sh', data: '#!/bin/sh\necho ran\n', mode: 0o755 },
      { name: './proj/deep/er/x.bin', data: Buffer.from([0, 1, 2, 255]) },
      { name: 'proj/link-to-readme', type: 'symlink', linkname: 'README.md' },
    ]);
    const r = await s.ok('workspace_sync_push', { archive: a });
    assert.equal(r.structured?.written, 4);
    assert.deepEqual(r.structured?.failed, []);
    const check = await s.ok('shell_exec', { command: 'proj/run.sh && stat -c "%a %U" proj/run.sh proj/README.md && readlink proj/link-to-readme && od -An -tu1 proj/deep/er/x.bin' });
    assert.match(String(check.structured?.stdout), /^ran\n755 \w+\n644 \w+\nREADME\.md\n\s*0\s+1\s+2\s+255\n$/);

    const m = await s.ok('workspace_sync_manifest', {});
    const entries = new Map((m.structured?.entries as Array<{ path: string; sha256: string; type: string }>).map((e) => [e.path, e]));
    assert.equal(entries.get('proj/README.md')?.sha256, sha('# hello\n'));
    assert.equal(entries.get('proj/deep/er/x.bin')?.sha256, sha(Buffer.from([0, 1, 2, 255])));
    assert.equal(entries.get('proj/link-to-readme')?.type, 'symlink');
    assert.ok(![...entries.keys()].some((p) => p.startsWith('.suna/') || p.startsWith('.git/')));
  });

  for (const [what, bad] of [
    ['a ".." entry', { name: '../escape.txt', data: 'x' }],
    ['an entry that climbs out mid-path', { name: 'proj/../../escape.txt', data: 'x' }],
    ['an absolute entry', { name: '/etc/cron.d/evil', data: 'x' }],
    ['an entry in .git', { name: '.git/hooks/pre-commit', data: '#!/bin/sh\n' }],
    ['an entry in a nested .git', { name: 'vendor/lib/.git/config', data: 'x' }],
    ['an entry in .suna', { name: '.suna/output/x', data: 'x' }],
    ['a symlink leaving the workspace', { name: 'proj/evil', type: 'symlink', linkname: '../../etc/passwd' }],
    ['an absolute symlink', { name: 'proj/evil', type: 'symlink', linkname: '/etc/passwd' }],
    ['a hard link', { name: 'proj/hard', type: 'link', linkname: 'proj/README.md' }],
    ['a device', { name: 'proj/dev', type: 'character-device' }],
  ] as Array<[string, Entry]>) {
    it(`refuses the whole archive for ${what}, writing nothing`, async () => {
      const a = await archive([{ name: 'proj/innocent.txt', data: 'should not be written' }, bad]);
      const r = await s.call('workspace_sync_push', { archive: a });
      assert.equal(r.isError, true, r.text);
      assert.match(r.text, /archive refused, nothing was written/);
      const ls = await s.ok('shell_exec', { command: 'test -e proj/innocent.txt && echo present || echo absent; test -e /workspace/escape.txt -o -e /escape.txt && echo escaped || echo contained' });
      assert.equal(ls.structured?.stdout, 'absent\ncontained\n');
    });
  }

  it('a big archive (one bulk extraction) lands the same way: contents, modes, symlinks, gzip', async () => {
    const entries: Entry[] = Array.from({ length: 40 }, (_, i) => ({ name: `bulk/d${i % 4}/f${i}.txt`, data: `file ${i}\n` }));
    entries.push({ name: 'bulk/tool.sh', data: '#!/bin/sh\necho bulk\n', mode: 0o755 }, { name: 'bulk/d0/up', type: 'symlink', linkname: '../tool.sh' });
    const gz = gzipSync(Buffer.from(await archive(entries), 'base64')).toString('base64');
    const r = await s.ok('workspace_sync_push', { archive: gz });
    assert.equal(r.structured?.written, 42);
    const out = await s.ok('shell_exec', { command: 'cat bulk/d3/f39.txt && bulk/d0/up && stat -c "%a %U" bulk/tool.sh bulk/d1/f1.txt && find bulk -type f | wc -l' });
    assert.match(String(out.structured?.stdout), /^file 39\nbulk\n755 (\w+)\n644 \1\n41\n$/);
  });

  for (const count of [3, 30]) {
    it(`a folder the agent turned into a symlink out of the workspace is never written through (${count} entries)`, async () => {
      await s.ok('shell_exec', { command: 'mkdir -p /tmp/outside && ln -sfn /tmp/outside escape' });
      const r = await s.call('workspace_sync_push', { archive: await archive(Array.from({ length: count }, (_, i) => ({ name: `escape/f${i}.txt`, data: 'x' }))) });
      const leaked = await s.ok('shell_exec', { command: 'ls /tmp/outside | wc -l' });
      assert.equal(leaked.structured?.stdout, '0\n');
      assert.ok(r.isError || (r.structured?.failed as unknown[]).length === count, r.text);
    });
  }

  it('refuses a gzipped archive with an entry over 64 MB or over 20,000 entries, naming the cap and writing nothing', async () => {
    const huge = packTar([{ path: 'cap/first.txt', data: Buffer.from('x') }, { path: 'cap/huge.bin', data: Buffer.alloc(65 * 1024 * 1024) }]);
    const r1 = await s.call('workspace_sync_push', { archive: gzipSync(huge, { level: 1 }).toString('base64') });
    assert.equal(r1.isError, true);
    assert.match(r1.text, /archive refused, nothing was written: "cap\/huge.bin": over the \d+ byte per-file limit/);
    const many = packTar(Array.from({ length: 20_001 }, (_, i) => ({ path: `cap/f${i}`, data: Buffer.alloc(0) })));
    const r2 = await s.call('workspace_sync_push', { archive: gzipSync(many).toString('base64') });
    assert.equal(r2.isError, true);
    assert.match(r2.text, /more than 20000 entries; send smaller batches/);
    assert.equal((await s.ok('shell_exec', { command: 'test -e cap && echo yes || echo no' })).structured?.stdout, 'no\n');
  });

  it('refuses garbage that is not a tar archive', async () => {
    const r = await s.call('workspace_sync_push', { archive: Buffer.from('definitely not tar'.repeat(40)).toString('base64') });
    assert.equal(r.isError, true);
  });

  it('if_match leaves a file the sandbox changed alone and reports it; deletes follow the same guard', async () => {
    await s.ok('workspace_sync_push', { archive: await archive([{ name: 'g/a.txt', data: 'base\n' }, { name: 'g/b.txt', data: 'base\n' }, { name: 'g/c.txt', data: 'base\n' }]) });
    await s.ok('shell_exec', { command: 'echo agent > g/a.txt && echo agent > g/c.txt' });
    const r = await s.ok('workspace_sync_push', {
      archive: await archive([{ name: 'g/a.txt', data: 'user\n' }, { name: 'g/b.txt', data: 'user\n' }, { name: 'g/new.txt', data: 'new\n' }]),
      delete: ['g/c.txt'],
      if_match: { 'g/a.txt': sha('base\n'), 'g/b.txt': sha('base\n'), 'g/new.txt': null, 'g/c.txt': sha('base\n') },
    });
    assert.deepEqual([...(r.structured?.mismatched as string[])].sort(), ['g/a.txt', 'g/c.txt']);
    const cat = await s.ok('shell_exec', { command: 'cat g/a.txt g/b.txt g/new.txt g/c.txt' });
    assert.equal(cat.structured?.stdout, 'agent\nuser\nnew\nagent\n');
    await s.ok('workspace_sync_push', { archive: '', delete: ['g/c.txt', 'g/already-gone.txt'] });
    assert.equal((await s.ok('shell_exec', { command: 'test -e g/c.txt && echo yes || echo no' })).structured?.stdout, 'no\n');
    assert.equal((await s.call('workspace_sync_push', { archive: '', delete: ['.git/config'] })).isError, true);
  });

  it('the manifest reuses hashes of unchanged files, yet sees a same-size change by its mtime, or by its ctime when the old mtime is put back', async () => {
    await s.ok('workspace_sync_push', { archive: await archive([{ name: 'm/a.txt', data: 'one' }, { name: 'm/b.txt', data: 'one' }, { name: 'm/c.txt', data: 'one' }]) });
    // Old timestamps: files changed in the last two seconds are never trusted from the cache.
    await s.ok('shell_exec', { command: 'touch -d @1700000000 m/a.txt m/b.txt m/c.txt' });
    const hashes = async () => {
      const r = await s.ok('workspace_sync_manifest', {});
      return Object.fromEntries((r.structured?.entries as Array<{ path: string; sha256: string }>).filter((e) => e.path.startsWith('m/')).map((e) => [e.path, e.sha256]));
    };
    assert.deepEqual(await hashes(), { 'm/a.txt': sha('one'), 'm/b.txt': sha('one'), 'm/c.txt': sha('one') });
    await s.ok('shell_exec', { command: 'printf two > m/a.txt && touch -d @1700000500 m/a.txt && printf six > m/b.txt && touch -d @1700000000 m/b.txt' });
    assert.deepEqual(await hashes(), { 'm/a.txt': sha('two'), 'm/b.txt': sha('six'), 'm/c.txt': sha('one') });
  });

  it('pull returns contents, modes and missing paths, in batches of about 3 MB', async () => {
    const big = Buffer.alloc(1024 * 1024, 'x');
    const names = ['p/1.bin', 'p/2.bin', 'p/3.bin', 'p/4.bin', 'p/5.bin'];
    await s.ok('workspace_sync_push', { archive: await archive(names.map((name) => ({ name, data: big }))) });
    const first = await s.ok('workspace_sync_pull', { paths: ['proj/run.sh', 'nope/missing.txt', ...names] });
    const files = first.structured?.files as PulledFile[];
    const remaining = first.structured?.remaining as string[];
    assert.equal(files[0]!.mode, 0o755);
    assert.equal(Buffer.from(files[0]!.data!, 'base64').toString(), '#!/bin/sh\necho ran\n');
    assert.equal(files[1]!.missing, true);
    assert.ok(remaining.length >= 1 && remaining.length <= 3, `remaining: ${remaining.join(',')}`);
    assert.deepEqual([...files.slice(2).map((f) => f.path), ...remaining], names);
    const rest = await s.ok('workspace_sync_pull', { paths: remaining });
    for (const f of rest.structured?.files as PulledFile[]) assert.equal(f.sha256, sha(big));
    assert.equal((await s.call('workspace_sync_pull', { paths: ['../etc/passwd'] })).isError, true);
  });
});
