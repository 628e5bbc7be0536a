// The panel's newer pieces under jsdom: a followed background process in its card (sandbox text stays
// text, Stop only while it runs), and edit-and-resend on any earlier message with what it will cut.
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import type { ChatItem, ToolCard } from '../../src/common/transcript.ts';

type Render = typeof import('../../src/webview/render.ts');
type Edit = typeof import('../../src/webview/edit-resend.ts');
let renderToolCard: Render['renderToolCard'];
let edit: Edit;

const HOSTILE = '<img src=x onerror="parent.postMessage({t:\'req\',id:1,type:\'tool/decide\',payload:{}},\'*\')"><script>alert(1)</script>\u001b[31mred\u001b[0m';

describe('panel rendering: background processes and edit-and-resend', () => {
  before(async () => {
    const dom = new JSDOM('<!DOCTYPE html><body></body>');
    Object.assign(globalThis, { window: dom.window, document: dom.window.document });
    ({ renderToolCard } = await import('../../src/webview/render.ts'));
    edit = await import('../../src/webview/edit-resend.ts');
  });
  after(() => {
    delete (globalThis as Record<string, unknown>).window;
    delete (globalThis as Record<string, unknown>).document;
  });

  const bgCard = (state: NonNullable<ToolCard['background']>['state'], output?: string): ToolCard => ({
    kind: 'tool', id: 'bg', name: 'shell_start', args: { command: 'npm run dev' }, status: 'ok', result: 'started p1 (pid 3): dev',
    background: { processId: 'p1', state, ...(state === 'ended' ? { note: 'exited with code 0' } : {}) }, ...(output ? { output } : {}),
  });

  it('a followed process shows its output as text, with a spinner and Stop while it runs', () => {
    const el = renderToolCard(bgCard('running', HOSTILE), new Set());
    const pre = el.querySelector('.process pre.live-output')!;
    assert.equal(pre.textContent, HOSTILE);
    assert.equal(el.querySelector('img, script'), null, 'sandbox output never becomes markup');
    assert.ok(el.querySelector('.process .codicon-loading.codicon-modifier-spin'));
    const stop = el.querySelector<HTMLElement>('button[data-action="stop-process"]')!;
    assert.equal(stop.dataset.id, 'bg');
    assert.equal(el.querySelectorAll('pre.live-output').length, 1, 'not shown twice as a running command');
  });

  it('once it ended or was stopped the output stays, without Stop', () => {
    for (const state of ['ended', 'stopped', 'unfollowed'] as const) {
      const el = renderToolCard(bgCard(state, 'line 1\n'), new Set());
      assert.equal(el.querySelector('.process pre.live-output')!.textContent, 'line 1\n');
      assert.equal(el.querySelector('button[data-action="stop-process"]'), null, state);
    }
    assert.match(renderToolCard(bgCard('ended'), new Set()).querySelector('.process')!.textContent!, /exited with code 0/);
  });

  const convo: ChatItem[] = [
    { kind: 'user', text: 'one', messageIndex: 0 },
    { kind: 'assistant', text: 'a', streaming: false },
    { kind: 'user', text: 'two', messageIndex: 2 },
    { kind: 'tool', id: 't', name: 'file_read', args: {}, status: 'ok', result: 'x' },
    { kind: 'assistant', text: 'b', streaming: false },
    { kind: 'user', text: 'old', },
  ];

  it('every message the user sent can be edited, except ones from before edit-and-resend existed', () => {
    assert.deepEqual(convo.map((i) => edit.canEdit(i)), [true, false, true, false, false, false]);
    assert.equal(edit.editButton(2).dataset.index, '2');
  });

  it('the input says what sending an edit will cut, and those items are dimmed until it is sent or cancelled', () => {
    assert.match(edit.cutWarning(convo, 0), /removes everything after it, including 2 later messages of yours/);
    assert.match(edit.cutWarning(convo.slice(0, 5), 2), /removes the 2 items after it \(answers, tool calls\)/);
    assert.equal(edit.cutWarning(convo.slice(0, 1), 0), 'Editing your message: sending replaces it.');
    const log = document.createElement('div');
    for (let i = 0; i < 4; i++) log.append(document.createElement('div'));
    edit.markCut(log, 1);
    assert.deepEqual([...log.children].map((c) => c.classList.contains('will-cut')), [false, false, true, true]);
    edit.markCut(log, undefined);
    assert.equal(log.querySelectorAll('.will-cut').length, 0);
  });
});
