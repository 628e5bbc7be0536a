// How a code_run answer is shown: PNGs re-checked from their own header, tracebacks cut to the user's frames with
// the line named, streams capped with a marker, and notices worded by the host from the facts it got.
import assert from 'node:assert/strict';
import { pngBytes } from '../fixtures/images.ts';
import { checkPng, restartNotice, streamText, trimTraceback, userLine } from '../../src/code/outputs.ts';
import { checkAnswer } from '@suna/sandbox/daemon-answers';

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
