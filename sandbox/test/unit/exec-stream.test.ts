// The exec output demuxer carries the egress relay's bulk traffic: it must split stdout from stderr however the
// connection cuts the stream, hand out views (no copies), and buffer nothing whatever length a header claims.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ExecDemuxer } from '../../src/exec-stream.ts';
import { ReadBufferPool } from '../../src/egress/read-pool.ts';

function muxed(parts: Array<[1 | 2, Buffer]>): Buffer {
  return Buffer.concat(parts.flatMap(([type, payload]) => {
    const h = Buffer.alloc(8);
    h[0] = type;
    h.writeUInt32BE(payload.length, 4);
    return [h, payload];
  }));
}

describe('exec output demuxer', () => {
  it('splits stdout from stderr at every possible cut of the stream', () => {
    const out = randomBytes(300);
    const err = Buffer.from('relay: warning\n');
    const stream = muxed([[1, out.subarray(0, 100)], [2, err], [1, out.subarray(100)], [1, Buffer.alloc(0)]]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      const d = new ExecDemuxer((c) => stdout.push(c), (c) => stderr.push(c));
      d.push(stream.subarray(0, cut));
      d.push(stream.subarray(cut));
      assert.deepEqual(Buffer.concat(stdout), out, `cut at ${cut}`);
      assert.deepEqual(Buffer.concat(stderr), err, `cut at ${cut}`);
    }
  });

  it('hands out views of the chunks it is given, not copies', () => {
    const payload = randomBytes(64 * 1024);
    const chunk = muxed([[1, payload]]);
    const got: Buffer[] = [];
    new ExecDemuxer((c) => got.push(c), () => {}).push(chunk);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.buffer, chunk.buffer, 'same memory');
  });

  it('buffers nothing for a header claiming 4 GiB: bytes pass on as they come', () => {
    const h = Buffer.alloc(8);
    h[0] = 1;
    h.writeUInt32BE(0xffffffff, 4);
    const got: number[] = [];
    const d = new ExecDemuxer((c) => got.push(c.length), () => {});
    d.push(h);
    for (let i = 0; i < 10; i++) d.push(Buffer.alloc(1024 * 1024));
    assert.deepEqual(got, Array(10).fill(1024 * 1024));
  });

  it('routes an unknown stream type to stderr, never into the stdout protocol', () => {
    const h = Buffer.alloc(8);
    h[0] = 7;
    h.writeUInt32BE(3, 4);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    new ExecDemuxer((c) => stdout.push(c), (c) => stderr.push(c)).push(Buffer.concat([h, Buffer.from('abc')]));
    assert.equal(stdout.length, 0);
    assert.equal(Buffer.concat(stderr).toString(), 'abc');
  });
});

describe('read buffer pool', () => {
  it('reuses given-back buffers and keeps at most maxFree of them', () => {
    const pool = new ReadBufferPool(1024, 2);
    const a = pool.take();
    pool.give(a);
    assert.equal(pool.take(), a);
    const bufs = [pool.take(), pool.take(), pool.take(), a];
    for (const b of bufs) pool.give(b);
    assert.equal(pool.freeCount, 2);
    pool.give(Buffer.alloc(10)); // a foreign size is never pooled
    assert.equal(pool.freeCount, 2);
    assert.equal(pool.allocated, 4);
  });
});
