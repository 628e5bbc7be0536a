// The host's checks on images made in the sandbox (code_run figures, Chromium's renderings): only a whole PNG or
// JPEG of the size it claims reaches a model; truncated, corrupt, forged or oversized ones are refused.
import assert from 'node:assert/strict';
import { checkedRendering, verifyJpeg, verifyPng } from '../../src/image-check.ts';
import { adam7Bytes, pngBytes } from '../fixtures/images.ts';

/** A minimal JPEG's structure: SOI, APP0, SOF0 with the size, SOS, entropy bytes, EOI. */
function jpegBytes(width: number, height: number): Buffer {
  const seg = (marker: number, body: Buffer) => Buffer.concat([Buffer.from([0xff, marker]), Buffer.from([(body.length + 2) >> 8, (body.length + 2) & 0xff]), body]);
  const sof = Buffer.from([8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), seg(0xe0, Buffer.from('JFIF\0\x01\x01\0\0\x01\0\x01\0\0', 'latin1')), seg(0xc0, sof), seg(0xda, Buffer.from([1, 1, 0, 0, 63, 0])), Buffer.from([0x12, 0x34, 0x56]), Buffer.from([0xff, 0xd9])]);
}

describe('image checks', () => {
  it('accepts only a whole PNG: truncated, corrupt, forged or trailing bytes are refused (a client could not decode them)', () => {
    const good = pngBytes(64, 48);
    assert.deepEqual(verifyPng(good), { width: 64, height: 48 });
    assert.deepEqual(verifyPng(pngBytes(13, 7, { interlace: 1, pixels: Buffer.alloc(adam7Bytes(13, 7)) })), { width: 13, height: 7 });
    for (const cut of [good.length - 1, good.length - 12, good.length - 20, 40]) assert.equal(verifyPng(good.subarray(0, cut)), null, `cut at ${cut}`);
    const flipped = Buffer.from(good);
    flipped[45] = (flipped[45] ?? 0) ^ 0xff; // inside IDAT: its CRC no longer matches
    assert.equal(verifyPng(flipped), null);
    assert.equal(verifyPng(Buffer.concat([good, Buffer.from('tail')])), null);
    // Valid CRCs, but the pixel data is one row short, or inflates past what the header promises (a bomb).
    assert.equal(verifyPng(pngBytes(64, 48, { pixels: Buffer.alloc((1 + 64 * 3) * 47) })), null);
    assert.equal(verifyPng(pngBytes(64, 48, { pixels: Buffer.alloc(50 * 1024 * 1024) })), null);
    // A header promising more pixels than we inflate to check.
    assert.equal(verifyPng(pngBytes(100_000, 100_000, { pixels: Buffer.alloc(10) })), null);
  });

  it('accepts a JPEG only when its segments hold together, a frame header gives the size, and it ends', () => {
    const good = jpegBytes(320, 200);
    assert.deepEqual(verifyJpeg(good), { width: 320, height: 200 });
    assert.equal(verifyJpeg(good.subarray(0, good.length - 2)), null, 'no end marker');
    assert.equal(verifyJpeg(good.subarray(0, 30)), null, 'cut inside a segment');
    const noFrame = Buffer.concat([good.subarray(0, 20), good.subarray(33)]); // SOI + APP0, then SOS on: the SOF0 segment left out
    assert.equal(verifyJpeg(noFrame), null, 'no frame header');
    const longSegment = Buffer.from(good);
    longSegment.writeUInt16BE(0xfff0, 4);
    assert.equal(verifyJpeg(longSegment), null, 'a segment longer than the file');
  });

  it("Chromium's rendering is shown only as a whole PNG or JPEG of the size it claims, within the side limit", () => {
    const url = (mime: string, b: Buffer) => `data:${mime};base64,${b.toString('base64')}`;
    const ok = checkedRendering({ out: url('image/png', pngBytes(40, 30)), width: 40, height: 30, w0: 400, h0: 300 }, 1568);
    assert.deepEqual([ok.mimeType, ok.width, ok.height, ok.originalWidth], ['image/png', 40, 30, 400]);
    assert.equal(checkedRendering({ out: url('image/jpeg', jpegBytes(40, 30)), width: 40, height: 30, w0: 40, h0: 30 }, 1568).mimeType, 'image/jpeg');
    const bad: Array<Record<string, unknown>> = [
      { out: url('image/png', pngBytes(40, 30)), width: 41, height: 30, w0: 40, h0: 30 }, // size not as claimed
      { out: url('image/png', pngBytes(40, 30).subarray(0, 60)), width: 40, height: 30, w0: 40, h0: 30 }, // truncated
      { out: url('image/gif', Buffer.from('GIF89a')), width: 1, height: 1, w0: 1, h0: 1 },
      { out: url('image/png', pngBytes(40, 30)), width: 40, height: 30, w0: -1, h0: 30 },
      { out: url('image/png', pngBytes(2000, 10)), width: 2000, height: 10, w0: 2000, h0: 10 }, // over the side limit
      { out: { toString: () => 'data:' }, width: 1, height: 1, w0: 1, h0: 1 },
    ];
    for (const r of bad) assert.throws(() => checkedRendering(r as never, 1568), /not a whole PNG or JPEG/);
  });
});
