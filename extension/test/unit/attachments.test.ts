import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_ATTACHMENTS, MAX_FILE_CHARS, TEXT_BUDGET_CHARS, parseAttachments } from '../../src/common/attachments.ts';
import { readAttachments } from '../../src/node/context-reader.ts';

describe('message attachments', () => {
  let dir: string;
  let root: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'suna-attach-'));
    root = join(dir, 'ws');
    mkdirSync(join(root, 'src', 'deep'), { recursive: true });
    writeFileSync(join(root, 'hello.txt'), 'Hello ```fenced``` world\n');
    writeFileSync(join(root, 'src', 'a.ts'), 'export const a = 1;\n');
    writeFileSync(join(root, 'src', 'deep', 'b.ts'), 'export const b = 2;\n');
    writeFileSync(join(root, 'big.txt'), 'x'.repeat(MAX_FILE_CHARS + 10));
    writeFileSync(join(root, 'bin.dat'), Buffer.from([1, 0, 2]));
    writeFileSync(join(dir, 'secret.txt'), 'TOP SECRET\n');
    symlinkSync(join(dir, 'secret.txt'), join(root, 'link-out.txt'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses junk from the webview with a message, and too many attachments', () => {
    assert.deepEqual(parseAttachments(undefined), []);
    assert.throws(() => parseAttachments([{ kind: 'exec', path: 'x' }]), /unknown attachment/);
    assert.throws(() => parseAttachments([{ kind: 'image', mimeType: 'image/svg+xml', data: 'PHN2Zz4=' }]), /images must be/);
    assert.throws(() => parseAttachments([{ kind: 'image', mimeType: 'image/png', data: 'not base64!' }]), /not base64/);
    assert.throws(() => parseAttachments(Array.from({ length: MAX_ATTACHMENTS + 1 }, () => ({ kind: 'problems', text: '' }))), /at most/);
    assert.deepEqual(parseAttachments([{ kind: 'image', name: 'a\nb.png', mimeType: 'image/png', data: 'AAAA' }]), [{ kind: 'image', name: 'ab.png', mimeType: 'image/png', data: 'AAAA' }]);
  });

  it('reads files and folders inside the workspace as fenced blocks; images become image parts', async () => {
    const r = await readAttachments(root, [
      { kind: 'file', path: 'hello.txt' },
      { kind: 'folder', path: 'src' },
      { kind: 'selection', path: 'src/a.ts', startLine: 1, text: 'export const a' },
      { kind: 'image', name: 'x.png', mimeType: 'image/png', data: 'AAAA' },
    ]);
    assert.match(r.text, /<attached file="hello.txt">\n````\nHello ```fenced``` world\n\n````\n<\/attached>/, 'a longer fence than any inside');
    assert.match(r.text, /<attached folder="src">\n```\nsrc\/a.ts\nsrc\/deep\/b.ts\n```/);
    assert.match(r.text, /<attached file="src\/deep\/b.ts">/);
    assert.match(r.text, /<attached selection="src\/a.ts:1">/);
    assert.deepEqual(r.images, [{ type: 'image', data: 'AAAA', mimeType: 'image/png' }]);
    assert.deepEqual(r.skipped, []);
  });

  it('never reads outside the workspace (.., absolute, a symlink out), nor binary files; big ones are cut', async () => {
    const r = await readAttachments(root, [
      { kind: 'file', path: '../secret.txt' },
      { kind: 'file', path: join(dir, 'secret.txt') },
      { kind: 'file', path: 'link-out.txt' },
      { kind: 'file', path: 'bin.dat' },
      { kind: 'file', path: 'big.txt' },
    ]);
    assert.doesNotMatch(r.text, /TOP SECRET/);
    assert.equal(r.skipped.length, 4, r.skipped.join('; '));
    assert.match(r.text, /more characters not attached|too large to attach/);
    assert.ok(r.text.length < TEXT_BUDGET_CHARS + 1000);
  });

  it('without a workspace folder nothing is read', async () => {
    const r = await readAttachments(undefined, [{ kind: 'file', path: 'hello.txt' }]);
    assert.equal(r.text, '');
    assert.equal(r.skipped.length, 1);
  });
});
