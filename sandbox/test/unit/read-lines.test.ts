// Paging a text file by lines inside the sandbox: only the requested lines come out, long lines are cut, the
// page stays within its byte budget, the line count matches file_read's, and a NUL early on means binary.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LinePager, readLines } from '../../daemon/read-lines.ts';

const page = (text: string | Buffer, req: Partial<ConstructorParameters<typeof LinePager>[0]> = {}, chunk = 3) => {
  const p = new LinePager({ fromLine: 1, maxLines: 100, maxLineBytes: 1000, maxBytes: 10_000, ...req });
  const buf = Buffer.isBuffer(text) ? text : Buffer.from(text);
  for (let i = 0; i < buf.length; i += chunk) p.push(buf.subarray(i, i + chunk));
  const r = p.result(buf.length);
  return { ...r, text: Buffer.from(r.data, 'base64').toString() };
};

describe('LinePager', () => {
  it('counts lines like file_read (a trailing newline does not start another line)', () => {
    assert.equal(page('a\nb\nc\n').totalLines, 3);
    assert.equal(page('a\nb\nc').totalLines, 3);
    assert.equal(page('').totalLines, 0);
    assert.equal(page('\n\n').totalLines, 2);
  });

  it('returns only the requested range, across chunk boundaries', () => {
    const text = Array.from({ length: 50 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
    const r = page(text, { fromLine: 10, maxLines: 3 }, 7);
    assert.equal(r.text, 'line 10\nline 11\nline 12');
    assert.equal(r.lines, 3);
    assert.equal(r.totalLines, 50);
    assert.equal(page(text, { fromLine: 50, maxLines: 10 }).text, 'line 50');
    assert.equal(page(text, { fromLine: 51 }).lines, 0);
  });

  it('cuts long lines and keeps the page within its byte budget', () => {
    const r = page('x'.repeat(50) + '\nshort\n', { maxLineBytes: 10 });
    assert.equal(r.text, 'x'.repeat(10) + '\nshort');
    assert.equal(r.cutLines, 1);
    const budget = page('aaaa\nbbbb\ncccc\ndddd\n', { maxBytes: 10 });
    assert.equal(budget.text, 'aaaa\nbbbb');
    assert.equal(budget.lines, 2);
    assert.equal(budget.totalLines, 4);
  });

  it('a NUL in the first 8 KiB is a binary file: no lines', () => {
    const r = page(Buffer.from('abc\0def\n'));
    assert.equal(r.binary, true);
    assert.equal(r.data, '');
  });

  it('readLines reads a real file and refuses nonsense ranges', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'suna-rl-'));
    try {
      writeFileSync(join(dir, 'f.txt'), 'one\ntwo\nthree\n');
      const r = await readLines(join(dir, 'f.txt'), { fromLine: 2, maxLines: 1, maxLineBytes: 100, maxBytes: 100 });
      assert.equal(Buffer.from(r.data, 'base64').toString(), 'two');
      assert.equal(r.totalLines, 3);
      await assert.rejects(readLines(join(dir, 'f.txt'), { fromLine: 0, maxLines: 1, maxLineBytes: 100, maxBytes: 100 }), /fromLine/);
      await assert.rejects(readLines(dir, { fromLine: 1, maxLines: 1, maxLineBytes: 100, maxBytes: 100 }), /directory/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
