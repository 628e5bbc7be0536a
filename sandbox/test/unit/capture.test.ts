// Output keeping: head + tail of a command's stream, and a background process's ring of recent output read by
// absolute offsets (what was dropped is reported, never silently skipped).
import assert from 'node:assert/strict';
import { Capture, OutputRing } from '../../daemon/capture.ts';

const text = (b64: string) => Buffer.from(b64, 'base64').toString();

describe('Capture', () => {
  it('keeps everything while under the cap', () => {
    const c = new Capture(10);
    c.push(Buffer.from('hello '));
    c.push(Buffer.from('world'));
    const r = c.result();
    assert.equal(text(r.head) + text(r.tail), 'hello world');
    assert.equal(r.totalBytes, 11);
  });

  it('keeps the first and last `half` bytes of a flood', () => {
    const c = new Capture(4);
    for (const part of ['abcd', 'efgh', 'ijkl', 'mnop']) c.push(Buffer.from(part));
    const r = c.result();
    assert.equal(text(r.head), 'abcd');
    assert.equal(text(r.tail), 'mnop');
    assert.equal(r.totalBytes, 16);
  });
});

describe('OutputRing', () => {
  it('reads from an offset, up to a maximum', () => {
    const ring = new OutputRing(100);
    ring.push(Buffer.from('hello '));
    ring.push(Buffer.from('world'));
    const r = ring.read(3, 5);
    assert.equal(r.data.toString(), 'lo wo');
    assert.equal(r.offset, 3);
    assert.equal(r.droppedBytes, 0);
  });

  it('drops the oldest chunks past its size and says how much of the request was lost', () => {
    const ring = new OutputRing(8);
    for (const part of ['aaaa', 'bbbb', 'cccc']) ring.push(Buffer.from(part));
    assert.equal(ring.baseOffset, 4);
    const r = ring.read(0, 100);
    assert.equal(r.data.toString(), 'bbbbcccc');
    assert.equal(r.offset, 4);
    assert.equal(r.droppedBytes, 4);
    assert.equal(ring.read(12, 100).data.length, 0);
  });
});
