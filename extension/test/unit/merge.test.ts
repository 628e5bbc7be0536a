import assert from 'node:assert/strict';
import { isBinary, mergeFile, mergeText } from '../../src/common/merge.ts';

const enc = (s: string) => new TextEncoder().encode(s);

describe('three-way merge', () => {
  const base = 'one\ntwo\nthree\nfour\nfive\n';

  it('merges edits to different lines cleanly', () => {
    const mine = 'ONE\ntwo\nthree\nfour\nfive\n';
    const theirs = 'one\ntwo\nthree\nfour\nFIVE\n';
    assert.deepEqual(mergeText(base, mine, theirs), { clean: true, text: 'ONE\ntwo\nthree\nfour\nFIVE\n' });
  });

  it('reports overlapping edits as a conflict', () => {
    const r = mergeText(base, 'one\nTWO-mine\nthree\nfour\nfive\n', 'one\nTWO-theirs\nthree\nfour\nfive\n');
    assert.equal(r.clean, false);
    assert.match((r as { reason: string }).reason, /1 overlapping change/);
  });

  it('the same edit on both sides is not a conflict', () => {
    const same = 'one\nTWO\nthree\nfour\nfive\n';
    assert.deepEqual(mergeText(base, same, same), { clean: true, text: same });
  });

  it('keeps CRLF line ends and a missing final newline', () => {
    const b = 'a\r\nb\r\nc\r\nd';
    const r = mergeText(b, 'A\r\nb\r\nc\r\nd', 'a\r\nb\r\nc\r\nD');
    assert.deepEqual(r, { clean: true, text: 'A\r\nb\r\nc\r\nD' });
  });

  it('one side unchanged takes the other side as is', () => {
    assert.deepEqual(mergeText(base, base, 'x\n'), { clean: true, text: 'x\n' });
    assert.deepEqual(mergeText(base, 'y\n', base), { clean: true, text: 'y\n' });
  });

  it('never merges binary files, non-UTF-8 files or files without a base', () => {
    assert.equal(mergeFile(enc('a\0b'), enc('a\0c'), enc('a\0d')).clean, false);
    assert.equal(mergeFile(new Uint8Array([0xff, 0xfe, 0x41]), new Uint8Array([0xff, 0x41]), new Uint8Array([0xfe, 0x41])).clean, false);
    assert.equal(mergeFile(undefined, enc('a'), enc('b')).clean, false);
    assert.equal(isBinary(enc('plain text')), false);
  });
});
