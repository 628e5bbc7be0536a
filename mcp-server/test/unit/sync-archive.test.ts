// The sync core on the server, without a sandbox: the archive rule (one bad entry refuses the archive, with every
// problem named, so nothing is written), its caps, and the checks on a manifest the daemon sends back.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { packTar, type TarInput } from '@suna/shared/sync/tar';
import { readSyncArchive, SYNC_LIMITS, SyncArchiveError } from '../../src/sync/archive.ts';
import { saneManifest } from '../../src/sync/manifest.ts';

const file = (path: string, data = 'x'): TarInput => ({ path, data: Buffer.from(data) });
const refused = (buf: Buffer, why: RegExp, limits = SYNC_LIMITS) =>
  assert.rejects(readSyncArchive(buf, limits), (e: unknown) => e instanceof SyncArchiveError && why.test(e.message));

/** A ustar header with any type flag and name (packTar writes only files and symlinks). */
function rawEntry(name: string, type: string, linkname = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100);
  h.write('0000644\0', 100);
  h.write('00000000000\0', 124);
  h.fill(0x20, 148, 156);
  h.write(type, 156, 1);
  h.write(linkname, 157, 100);
  h.write('ustar\u000000', 257, 8, 'binary');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

describe('sync archive rule (mcp-server/src/sync)', () => {
  it('accepts files, folders and in-workspace symlinks; lists the folders they pass through', async () => {
    const a = await readSyncArchive(packTar([file('src/a.ts', 'abc'), { path: 'bin/x', data: Buffer.from('#!'), mode: 0o755 }, { path: 'src/l', target: '../bin/x' }]));
    assert.deepEqual(a.entries.map((e) => [e.path, e.type, e.mode]), [['src/a.ts', 'file', 0o644], ['bin/x', 'file', 0o755], ['src/l', 'symlink', 0o777]]);
    assert.deepEqual(a.folders.sort(), ['bin', 'src']);
    assert.equal(a.bytes, 5);
    const gz = await readSyncArchive(gzipSync(packTar([file('z/b.txt', 'hello')])));
    assert.equal(gz.entries[0]!.data!.toString(), 'hello');
  });

  it('refuses "..", absolute names, .git and .suna, naming every bad entry', async () => {
    const buf = packTar([file('ok.txt'), file('../escape'), file('a/../../b'), file('/etc/passwd'), file('.git/config'), file('sub/.git/HEAD'), file('.suna/x')]);
    await assert.rejects(readSyncArchive(buf), (e: unknown) => {
      assert.ok(e instanceof SyncArchiveError);
      assert.match(e.message, /^archive refused, nothing was written: /);
      for (const name of ['../escape', 'a/../../b', '/etc/passwd', '.git/config', 'sub/.git/HEAD', '.suna/x']) assert.ok(e.message.includes(JSON.stringify(name)), name);
      assert.ok(!e.message.includes('"ok.txt"'));
      return true;
    });
  });

  it('refuses symlinks out of the tree, hard links, devices and fifos', async () => {
    await refused(packTar([{ path: 'l', target: '/etc/passwd' }]), /symlink target .* is absolute/);
    await refused(packTar([{ path: 'a/l', target: '../../x' }]), /leaves the workspace/);
    await refused(packTar([{ path: 'l', target: '.git/hooks' }]), /where sync never goes/);
    await refused(Buffer.concat([rawEntry('h', '1', 'a.txt'), Buffer.alloc(1024)]), /hard link/);
    await refused(Buffer.concat([rawEntry('dev', '3'), Buffer.alloc(1024)]), /character-device/);
    await refused(Buffer.concat([rawEntry('p', '6'), Buffer.alloc(1024)]), /fifo/);
  });

  it('refuses a huge entry, too many entries, a duplicate and an oversized archive or gzip bomb', async () => {
    const small = { ...SYNC_LIMITS, maxEntryBytes: 100, maxEntries: 3, maxArchiveBytes: 64 * 1024 };
    await refused(packTar([file('big', 'x'.repeat(101))]), /over the 100 byte per-file limit/, small);
    await refused(packTar([file('a'), file('b'), file('c'), file('d')]), /more than 3 entries; send smaller batches/, small);
    await refused(packTar([file('a'), file('a')]), /appears twice/);
    await refused(packTar([file('a', 'x'.repeat(70 * 1024))]), /over 65536 bytes/, small);
    await refused(gzipSync(Buffer.alloc(200 * 1024)), /not valid gzip or is over 65536 bytes unpacked/, small);
  });

  it('refuses garbage with a clear error', async () => {
    await refused(Buffer.from('this is not an archive'.repeat(30)), /not a valid tar file/);
  });

  it('passes on only sane manifest entries, cut to the count asked for', () => {
    const sha = createHash('sha256').update('a').digest('hex');
    const good = (path: string) => ({ path, type: 'file', size: 1, mtimeMs: 0, mode: 0o644, sha256: sha });
    const m = saneManifest({ entries: [good('a'), good('../x'), { ...good('b'), sha256: 'zz' }, good('c'), good('d')], truncated: false, skipped: ['big.bin', '/etc/shadow'] }, 2);
    assert.deepEqual(m.entries.map((e) => e.path), ['a', 'c']);
    assert.equal(m.truncated, true);
    assert.deepEqual(m.skipped, ['big.bin']);
  });
});
