// How a code_run answer is shown: PNGs re-checked from their own header, tracebacks cut to the user's frames with
// the line named, streams capped with a marker, and notices worded by the host from the facts it got.
import assert from 'node:assert/strict';
import { crc32, deflateSync } from 'node:zlib';
import { verifyPng } from '../../src/code/png.ts';
import { checkPng, restartNotice, streamText, trimTraceback, userLine } from '../../src/code/outputs.ts';
import { checkAnswer } from '@suna/sandbox/daemon-answers';

function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

/** A real RGB PNG (8-bit, filter 0 rows); `pixels` overrides the inflated scanlines to forge a body. */
function pngBytes(width: number, height: number, opts: { interlace?: 0 | 1; pixels?: Buffer } = {}): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  ihdr[12] = opts.interlace ?? 0;
  const raw = opts.pixels ?? Buffer.alloc((1 + width * 3) * height);
  const magic = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([magic, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
/** Filtered scanline bytes of an 8-bit RGB Adam7 image. */
function adam7Bytes(w: number, h: number): number {
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];
  return passes.reduce((n, [x, y, dx, dy]) => {
    const pw = Math.ceil(Math.max(0, w - x!) / dx!);
    const ph = Math.ceil(Math.max(0, h - y!) / dy!);
    return n + (pw && ph ? (1 + pw * 3) * ph : 0);
  }, 0);
}
const png = (width: number, height: number) => pngBytes(width, height).toString('base64');

const TB = `---------------------------------------------------------------------------
KeyError                                  Traceback (most recent call last)
Cell In [3], line 2
      1 import pandas as pd
----> 2 pd.DataFrame({'a': [1]})['b']

File /usr/lib/python3/dist-packages/pandas/core/frame.py:3807, in DataFrame.__getitem__(self, key)
   3805 if self.columns.nlevels > 1:
-> 3807 indexer = self.columns.get_loc(key)

KeyError: 'b'`;

describe('code_run outputs', () => {
  it('accepts a PNG only when its signature and IHDR match what was claimed and it fits the cap', () => {
    assert.deepEqual(checkPng(png(64, 48), { width: 64, height: 48 }, 1000)?.width, 64);
    assert.equal(checkPng(png(64, 48), { width: 10, height: 10 }, 1000), null);
    assert.equal(checkPng(png(64, 48), { width: 64, height: 48 }, 20), null);
    assert.equal(checkPng(Buffer.from('GIF89a' + 'x'.repeat(40)).toString('base64'), { width: 64, height: 48 }, 1000), null);
  });

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

  it('names the user\'s line and keeps the user\'s frame, library frames by location only', () => {
    assert.equal(userLine(TB), 2);
    assert.equal(userLine('Cell In[7], line 9\n'), 9);
    assert.equal(userLine('no frames'), null);
    const t = trimTraceback(TB);
    assert.match(t, /----> 2 pd\.DataFrame/);
    assert.match(t, /File \/usr\/lib\/python3\/dist-packages\/pandas\/core\/frame\.py:3807/);
    assert.doesNotMatch(t, /3805 if self/);
    assert.match(t, /KeyError: 'b'$/);
  });

  it('caps a stream with a marker that counts what was left out', () => {
    const text = streamText({ head: 'a'.repeat(1000), tail: 'z'.repeat(1000), total: 50_000 }, 600);
    assert.match(text, /characters omitted/);
    assert.ok(text.length < 800);
    assert.equal(streamText({ head: 'hi', tail: '', total: 2 }, 600), 'hi');
  });

  it('words restart notices itself, from the facts: out of memory, unresponsive, driver lost', () => {
    assert.match(restartNotice({ restart: 'died', status: 'died', oomKilled: true }, 2048)!, /ran out of memory \(the sandbox limit is 2048 MiB\)/);
    assert.match(restartNotice({ restart: 'unresponsive', status: 'timeout', oomKilled: false }, 2048)!, /did not stop when interrupted/);
    assert.match(restartNotice({ restart: 'driver', status: 'died', oomKilled: false }, 2048)!, /process had stopped or misbehaved/);
    assert.equal(restartNotice({ restart: null, status: 'ok', oomKilled: false }, 2048), null);
  });

  it('the host refuses answers with oversized fields, foreign figure paths or too many images', () => {
    const args = { runId: 'c1', code: '1', timeoutMs: 1000, capChars: 1000, figureDir: '/workspace/.suna/figures' };
    const base = { status: 'ok', restart: null, executionCount: 1, stdout: { head: '', tail: '', total: 0 }, stderr: { head: '', tail: '', total: 0 }, result: null, displays: [], error: null, oomKilled: false };
    assert.equal(checkAnswer('codeRun', args, base).ok, true);
    assert.equal(checkAnswer('codeRun', args, { ...base, stdout: { head: 'x'.repeat(5000), tail: '', total: 1 } }).ok, false);
    const img = (path: string | null) => ({ kind: 'image', data: png(1, 1), width: 1, height: 1, path });
    assert.equal(checkAnswer('codeRun', args, { ...base, displays: [img('/workspace/.suna/figures/figure-1-1.png')] }).ok, true);
    assert.equal(checkAnswer('codeRun', args, { ...base, displays: [img('/etc/passwd')] }).ok, false);
    assert.equal(checkAnswer('codeRun', args, { ...base, displays: Array.from({ length: 9 }, () => img(null)) }).ok, false);
    assert.equal(checkAnswer('codeRun', args, { ...base, status: 'pwned' }).ok, false);
    // An emoji is two UTF-16 units: honest output at the cap is not refused.
    assert.equal(checkAnswer('codeRun', args, { ...base, stdout: { head: '😀'.repeat(500), tail: '', total: 500 } }).ok, true);
  });
});
