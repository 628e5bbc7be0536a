import assert from 'node:assert/strict';
import { annotationsFor } from '@suna/shared/tool-kinds';
import { MAX_PATCH_LINES, MAX_PREVIEW_FILE_CHARS, previewOf, workspaceRelativePath } from '../../src/common/approval-preview.ts';
import { approvalReason, decide, parseAlwaysAllowed } from '../../src/common/approvals.ts';

describe('approval previews', () => {
  it('file_edit shows the diff it would make to the workspace copy, with the full texts for Open diff', () => {
    const current = 'one\ntwo\nthree\n';
    const { preview, change } = previewOf('file_edit', { path: 'src/a.txt', edits: [{ old_text: 'two', new_text: 'TWO' }] }, current);
    assert.equal(preview?.kind, 'diff');
    assert.ok(preview?.kind === 'diff');
    assert.equal(preview.path, 'src/a.txt');
    assert.deepEqual([preview.added, preview.removed], [1, 1]);
    assert.match(preview.patch, /^@@ -1,3 \+1,3 @@\n one\n-two\n\+TWO\n three$/);
    assert.deepEqual(change, { path: 'src/a.txt', before: current, after: 'one\nTWO\nthree\n' });
  });

  it('file_edit whose text is not in the local copy shows what is replaced by what, and says why', () => {
    const { preview } = previewOf('file_edit', { path: 'a.txt', edits: [{ old_text: 'nope', new_text: 'yes' }] }, 'other\n');
    assert.ok(preview?.kind === 'diff');
    assert.match(preview.note!, /local copy differs/);
    assert.match(preview.patch, /-nope\n\+yes/);
  });

  it('file_write of a new file is all additions; base64 content is not shown as text', () => {
    const { preview } = previewOf('file_write', { path: 'new.md', content: '# hi\nthere\n' }, undefined);
    assert.ok(preview?.kind === 'diff');
    assert.deepEqual([preview.added, preview.removed, preview.note], [2, 0, 'a new file']);
    const bin = previewOf('file_write', { path: 'x.bin', content: 'AAAA', encoding: 'base64' }, undefined).preview;
    assert.ok(bin?.kind === 'diff' && /binary/.test(bin.note!));
  });

  it('is bounded: a huge file gets a note, a huge diff is cut', () => {
    const big = 'x'.repeat(MAX_PREVIEW_FILE_CHARS + 1);
    const huge = previewOf('file_write', { path: 'big', content: big }, '').preview;
    assert.ok(huge?.kind === 'diff' && huge.patch === '' && /too large/.test(huge.note!));
    const many = Array.from({ length: MAX_PATCH_LINES * 2 }, (_, i) => `line ${i}`).join('\n');
    const cut = previewOf('file_write', { path: 'many', content: many }, '').preview;
    assert.ok(cut?.kind === 'diff');
    assert.equal(cut.added, MAX_PATCH_LINES * 2);
    assert.ok(cut.patch.split('\n').length <= MAX_PATCH_LINES + 1);
    assert.match(cut.patch, /more lines: use Open diff$/);
  });

  it('shows the command of shell_* and the address of browser_*; other tools get none', () => {
    assert.deepEqual(previewOf('shell_exec', { command: 'rm -rf build', cwd: 'app' }, undefined).preview, { kind: 'command', command: 'rm -rf build', cwd: 'app' });
    assert.deepEqual(previewOf('shell_start', { command: 'npm run dev' }, undefined).preview, { kind: 'command', command: 'npm run dev' });
    assert.deepEqual(previewOf('browser_navigate', { url: 'https://example.com' }, undefined).preview, { kind: 'url', url: 'https://example.com' });
    assert.deepEqual(previewOf('web_search', { query: 'x' }, undefined), {});
    assert.deepEqual(previewOf('shell_exec', { command: 42 }, undefined), {});
  });

  it('reads the diff base only inside the workspace', () => {
    assert.equal(workspaceRelativePath('/workspace/src/a.ts'), 'src/a.ts');
    assert.equal(workspaceRelativePath('.env'), '.env');
    for (const bad of ['../x', '/etc/passwd', 'a/../../x', '/workspace', '', 'a\\..\\b', 'a\u0000b']) assert.equal(workspaceRelativePath(bad), undefined, bad);
  });
});

describe('approval reasons and Always allow', () => {
  it('gives each kind its own reason: browsing is not "changes files"', () => {
    assert.equal(approvalReason(annotationsFor('write')), 'changes files in the sandbox');
    assert.match(approvalReason(annotationsFor('browse')), /outside world/);
    assert.doesNotMatch(approvalReason(annotationsFor('browse')), /changes files/);
    assert.match(approvalReason(annotationsFor('exec')), /runs code/);
    assert.match(approvalReason(annotationsFor('destructive')), /delete/);
    assert.equal(approvalReason(annotationsFor('external')), 'reaches the outside world');
  });

  it('an always-allowed tool runs in every mode; the setting ignores junk', () => {
    assert.equal(decide('ask', annotationsFor('exec'), true), 'run');
    assert.equal(decide('ask', annotationsFor('exec'), false), 'ask');
    assert.deepEqual([...parseAlwaysAllowed(['shell_exec', 3, '', 'a b', 'x'.repeat(200), 'gh__create_issue'])], ['shell_exec', 'gh__create_issue']);
    assert.equal(parseAlwaysAllowed('shell_exec').size, 0);
  });
});
