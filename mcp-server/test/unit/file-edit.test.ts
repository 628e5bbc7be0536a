// applyEdits, the pure core of file_edit: exact-text replacement, in order, all or nothing, with errors
// that tell the model how to retry.
import assert from 'node:assert/strict';
import { ToolError } from '../../src/tool.ts';
import { applyEdits } from '../../src/tools/files.ts';

function assertToolError(fn: () => unknown, fragment: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ToolError, `expected a ToolError, got ${String(err)}`);
    assert.match(err.message, fragment);
    return true;
  });
}

describe('applyEdits', () => {
  it('replaces the one place old_text matches', () => {
    assert.equal(applyEdits('def main():\n    print("hi")\n', [{ old_text: 'print("hi")', new_text: 'print("hello")' }], 'app.py'), 'def main():\n    print("hello")\n');
  });

  it('deletes text when new_text is empty', () => {
    assert.equal(applyEdits('keep\ndrop me\nkeep\n', [{ old_text: 'drop me\n', new_text: '' }], 'a.txt'), 'keep\nkeep\n');
  });

  it('applies edits in order, so the second edit sees the result of the first', () => {
    const out = applyEdits(
      'alpha beta gamma',
      [
        { old_text: 'alpha', new_text: 'ALPHA' },
        { old_text: 'ALPHA beta', new_text: 'one' },
      ],
      'a.txt',
    );
    assert.equal(out, 'one gamma');
  });

  it('lets a later edit fail on text an earlier edit removed', () => {
    assertToolError(
      () =>
        applyEdits(
          'alpha beta',
          [
            { old_text: 'alpha', new_text: 'x' },
            { old_text: 'alpha', new_text: 'y' },
          ],
          'a.txt',
        ),
      /^edit 2: old_text was not found in a\.txt/,
    );
  });

  it('replaces every match with replace_all', () => {
    assert.equal(applyEdits('foo(1); foo(2); foo(3);', [{ old_text: 'foo', new_text: 'bar', replace_all: true }], 'a.js'), 'bar(1); bar(2); bar(3);');
  });

  it('accepts replace_all when old_text matches only once', () => {
    assert.equal(applyEdits('one foo', [{ old_text: 'foo', new_text: 'bar', replace_all: true }], 'a.txt'), 'one bar');
  });

  it('refuses an old_text that matches twice without replace_all, says so, and leaves the input alone', () => {
    const original = 'x = 1\nx = 1\n';
    const text = original;
    assertToolError(
      () => applyEdits(text, [{ old_text: 'x = 1', new_text: 'x = 2' }], 'conf.py'),
      /old_text matches 2 places in conf\.py; add surrounding lines to make it unique, or set replace_all\. Nothing was changed\./,
    );
    assert.equal(text, original);
  });

  it('is all or nothing: a failing second edit throws instead of returning the first edit applied', () => {
    const text = 'a\nb\nb\n';
    assertToolError(
      () =>
        applyEdits(
          text,
          [
            { old_text: 'a', new_text: 'A' },
            { old_text: 'b', new_text: 'B' },
          ],
          'f.txt',
        ),
      /^edit 2: old_text matches 2 places in f\.txt/,
    );
    assert.equal(text, 'a\nb\nb\n');
  });

  it('refuses an old_text that is not in the file and says to copy it exactly', () => {
    assertToolError(
      () => applyEdits('hello\n', [{ old_text: 'Hello', new_text: 'Bye' }], 'greet.txt'),
      /^old_text was not found in greet\.txt; file_read it and copy the text exactly \(whitespace included\)\. Nothing was changed\.$/,
    );
  });

  it('refuses an empty old_text and points at file_write', () => {
    assertToolError(() => applyEdits('abc', [{ old_text: '', new_text: 'x' }], 'a.txt'), /old_text is empty; to create or replace a whole file use file_write/);
  });

  it('numbers the failing edit when there are several', () => {
    assertToolError(
      () =>
        applyEdits(
          'abc',
          [
            { old_text: 'a', new_text: 'A' },
            { old_text: '', new_text: 'x' },
          ],
          'a.txt',
        ),
      /^edit 2: old_text is empty/,
    );
  });

  it('keeps a CRLF file CRLF when old_text and new_text use LF', () => {
    const out = applyEdits('line1\r\nline2\r\nline3\r\n', [{ old_text: 'line1\nline2', new_text: 'one\ntwo\nthree' }], 'win.txt');
    assert.equal(out, 'one\r\ntwo\r\nthree\r\nline3\r\n');
  });

  it('edits a CRLF file with an old_text that already uses CRLF', () => {
    assert.equal(applyEdits('a\r\nb\r\n', [{ old_text: 'a\r\nb', new_text: 'c\r\nd' }], 'win.txt'), 'c\r\nd\r\n');
  });

  it('does not turn LF into CRLF in an LF file', () => {
    assert.equal(applyEdits('a\nb\nc\n', [{ old_text: 'a\nb', new_text: 'x\ny' }], 'unix.txt'), 'x\ny\nc\n');
  });

  it('keeps a CRLF file CRLF when a one-line old_text is replaced by several lines', () => {
    assert.equal(applyEdits('a\r\nb\r\n', [{ old_text: 'a', new_text: 'x\ny' }], 'win.txt'), 'x\r\ny\r\nb\r\n');
  });

  it('inserts $& and $1 in new_text literally, not as replacement patterns', () => {
    const patterns = "cost: $& $1 $$ $' $`";
    assert.equal(applyEdits('price', [{ old_text: 'price', new_text: patterns }], 'a.txt'), patterns);
  });

  it('inserts $& literally with replace_all too', () => {
    assert.equal(applyEdits('p p', [{ old_text: 'p', new_text: '$&$1', replace_all: true }], 'a.txt'), '$&$1 $&$1');
  });

  it('treats regular-expression characters in old_text as plain text', () => {
    assert.equal(applyEdits('a.*b and axxb', [{ old_text: 'a.*b', new_text: 'Z' }], 'a.txt'), 'Z and axxb');
  });
});
