// The sync's tar writer and reader: what one writes the other reads back (long names through pax headers,
// symlinks, modes), and a damaged or hostile buffer is refused with a reason instead of being read past.
import assert from 'node:assert/strict';
import { packTar, parseTar, TAR_END_BYTES, TarFormatError, TarWriter, tarEntryBytes } from '../src/sync/tar.ts';

const limits = { maxEntries: 100 };
const refused = (buf: Buffer, why: RegExp, l = limits) => assert.throws(() => parseTar(buf, l), (e: unknown) => e instanceof TarFormatError && why.test(e.message));

describe('sync tar', () => {
  it('reads back what it wrote: files, modes, symlinks, names and targets past 100 bytes, empty files', () => {
    const long = `${'deep/'.repeat(40)}file-with-a-long-name.ts`;
    const buf = packTar([
      { path: 'a.txt', data: Buffer.from('hello') },
      { path: 'bin/run.sh', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
      { path: long, data: Buffer.from('x'.repeat(1000)) },
      { path: 'empty', data: Buffer.alloc(0) },
      { path: 'link', target: 'a.txt' },
      { path: 'far-link', target: `${'../'.repeat(1)}${'t/'.repeat(60)}x` },
    ]);
    assert.equal(buf.length % 512, 0);
    const entries = parseTar(buf, limits);
    assert.deepEqual(
      entries.map((e) => [e.name, e.type, e.mode, e.data.toString(), e.linkname]),
      [
        ['a.txt', '0', 0o644, 'hello', ''],
        ['bin/run.sh', '0', 0o755, '#!/bin/sh\n', ''],
        [long, '0', 0o644, 'x'.repeat(1000), ''],
        ['empty', '0', 0o644, '', ''],
        ['link', '2', 0o777, '', 'a.txt'],
        ['far-link', '2', 0o777, '', `../${'t/'.repeat(60)}x`],
      ],
    );
  });

  it('tarEntryBytes counts exactly what the writer produces (sizes around a block, long and multi-byte names and targets)', () => {
    const names = ['a', 'x'.repeat(100), 'x'.repeat(101), `${'é'.repeat(50)}`, `${'é'.repeat(51)}`, `${'dir/'.repeat(30)}f`, `${'€'.repeat(300)}`];
    for (const path of names)
      for (const size of [0, 1, 511, 512, 513, 4096]) {
        const data = Buffer.alloc(size, 0x61);
        assert.equal(packTar([{ path, data }]).length, tarEntryBytes(path, size) + TAR_END_BYTES, `${path.length} chars, ${size} bytes`);
      }
    for (const path of names)
      for (const target of ['a.txt', 't/'.repeat(50), 't/'.repeat(51), 'é'.repeat(60)])
        assert.equal(packTar([{ path, target }]).length, tarEntryBytes(path, 0, target) + TAR_END_BYTES, `${path.length} -> ${target.length}`);
  });

  it('reads an empty buffer and an archive without end blocks', () => {
    assert.deepEqual(parseTar(Buffer.alloc(0), limits), []);
    const one = packTar([{ path: 'a', data: Buffer.from('1') }]);
    assert.equal(parseTar(one.subarray(0, one.length - 1024), limits).length, 1);
  });

  it('refuses a bad checksum, a size past the end, a cut header, base-256 sizes and too many entries', () => {
    const buf = packTar([{ path: 'a', data: Buffer.from('1234') }]);
    const bad = Buffer.from(buf);
    bad[0] = 0x62; // the name changes, the checksum does not
    refused(bad, /bad checksum/);
    refused(Buffer.from('not a tar archive at all'.repeat(40)), /bad checksum|not an octal/);
    refused(packTar([{ path: 'big', data: Buffer.alloc(1000, 1) }]).subarray(0, 700), /past the end/);
    refused(Buffer.concat([buf.subarray(0, 1024), Buffer.alloc(100, 1)]), /middle of a header/);
    const huge = Buffer.from(buf.subarray(0, 512));
    huge[124] = 0x80; // base-256 size field
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : huge[i]!;
    huge.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
    refused(huge, /base-256/);
    const many = packTar(Array.from({ length: 5 }, (_, i) => ({ path: `f${i}`, data: Buffer.from('x') })));
    refused(many, /more than 4 entries/, { maxEntries: 4 });
  });

  it('refuses an oversized metadata header instead of holding it', () => {
    const pax = packTar([{ path: `${'n'.repeat(300)}`, data: Buffer.from('x') }]);
    assert.equal(parseTar(pax, limits)[0]!.name, 'n'.repeat(300));
    refused(pax, /metadata header of \d+ bytes is over the 10 byte limit/, { maxEntries: 10, maxMetaBytes: 10 } as never);
  });

  it('TarWriter: files read in place, a file that shrank while read, growth past the first size, long names', () => {
    const w = new TarWriter(1024); // far too small: it grows
    const long = `${'x/'.repeat(80)}f.txt`;
    const a = w.addFile('a.txt', 0o755, 5, (t) => (t.write('hello'), 5));
    const shrunk = w.addFile('shrunk.txt', 0o644, 3000, (t) => (t.write('only this'), 9)); // announced 3000, got 9
    w.addFile(long, 0o644, 2000, (t) => (t.fill(0x61), 2000));
    w.addSymlink('link', 'a.txt');
    w.addFile('empty', 0o644, 0, () => assert.fail('no read for an empty file'));
    const buf = w.finish();
    assert.equal(a.toString(), 'hello');
    assert.equal(shrunk.toString(), 'only this');
    assert.deepEqual(
      parseTar(buf, limits).map((e) => [e.name, e.type, e.mode, e.size, e.linkname]),
      [
        ['a.txt', '0', 0o755, 5, ''],
        ['shrunk.txt', '0', 0o644, 9, ''],
        [long, '0', 0o644, 2000, ''],
        ['link', '2', 0o777, 0, 'a.txt'],
        ['empty', '0', 0o644, 0, ''],
      ],
    );
    assert.equal(parseTar(buf, limits)[2]!.data.toString(), 'a'.repeat(2000));
    assert.deepEqual(buf, packTar([{ path: 'a.txt', data: Buffer.from('hello'), mode: 0o755 }, { path: 'shrunk.txt', data: Buffer.from('only this') }, { path: long, data: Buffer.alloc(2000, 0x61) }, { path: 'link', target: 'a.txt' }, { path: 'empty', data: Buffer.alloc(0) }]), 'the same bytes as packTar');
    assert.throws(() => new TarWriter().addFile('over', 0o644, 4, () => 5), /bad byte count/, 'a reader claiming more than it was given is refused');
  });
});
