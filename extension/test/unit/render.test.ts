// The panel's DOM rendering under jsdom: what a user sees in a card, and that model text stays inert.
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import type { ToolCard } from '../../src/common/transcript.ts';

type Render = typeof import('../../src/webview/render.ts');
let renderBanner: Render['renderBanner'];
let renderItem: Render['renderItem'];
let renderToolCard: Render['renderToolCard'];

const card = (over: Partial<ToolCard>): ToolCard => ({ kind: 'tool', id: 'c1', name: 'file_edit', args: { path: 'a.txt' }, status: 'running', ...over });

describe('panel rendering', () => {
  // A DOM only while these tests run: with a global `window` the model SDKs think they are in a browser.
  before(async () => {
    const dom = new JSDOM('<!DOCTYPE html><body></body>');
    Object.assign(globalThis, { window: dom.window, document: dom.window.document });
    ({ renderBanner, renderItem, renderToolCard } = await import('../../src/webview/render.ts'));
  });
  after(() => {
    delete (globalThis as Record<string, unknown>).window;
    delete (globalThis as Record<string, unknown>).document;
  });

  it('a running card spins with the real codicon classes (not ThemeIcon syntax)', () => {
    const el = renderToolCard(card({}), new Set());
    const spin = el.querySelector('.tool-status .codicon')!;
    assert.deepEqual([...spin.classList], ['codicon', 'codicon-loading', 'codicon-modifier-spin']);
    assert.equal(el.querySelector('[class*="~"]'), null);
  });

  it('the "Server starting" banner spins too', () => {
    const el = document.createElement('div');
    const state = { server: { status: 'starting', mode: 'stdio' }, sync: { state: 'off', files: 0, bytes: 0, skipped: [], skippedCount: 0, conflicts: [], pending: [] }, model: 'm', models: [{ id: 'm', hasKey: true }], approvals: 'ask' } as const;
    renderBanner(el, structuredClone(state) as never);
    assert.ok(el.querySelector('.codicon-loading.codicon-modifier-spin'));
    assert.match(el.textContent!, /Server starting/);
  });

  it('an approval card shows the diff, the reason, Open diff and Approve / Deny / Always allow', () => {
    const el = renderToolCard(
      card({ status: 'awaiting-approval', approvalReason: 'changes files in the sandbox', preview: { kind: 'diff', path: 'a.txt', patch: '@@ -1 +1 @@\n-old\n+new', added: 1, removed: 1 } }),
      new Set(),
    );
    const preview = el.querySelector<HTMLDetailsElement>('details.tool-preview')!;
    assert.ok(preview.open, 'open while it waits');
    assert.deepEqual([...preview.querySelectorAll('.diff-line.del, .diff-line.add')].map((l) => l.textContent), ['-old', '+new']);
    assert.ok(el.querySelector('[data-action="open-diff"][data-id="c1"]'));
    assert.deepEqual([...el.querySelectorAll('.approval button')].map((b) => b.getAttribute('data-action')), ['approve', 'deny', 'always']);
    assert.match(el.querySelector('.approval-reason')!.textContent!, /file_edit changes files in the sandbox/);
  });

  it('a shell approval shows the command, a browser one the address', () => {
    const sh = renderToolCard(card({ name: 'shell_exec', status: 'awaiting-approval', preview: { kind: 'command', command: 'make all' } }), new Set());
    assert.equal(sh.querySelector('pre.command')?.textContent, 'make all');
    const br = renderToolCard(card({ name: 'browser_navigate', status: 'awaiting-approval', preview: { kind: 'url', url: 'https://x.test/' } }), new Set());
    assert.equal(br.querySelector('code.url')?.textContent, 'https://x.test/');
  });

  it('toggles of a card are not Tab stops', () => {
    const el = renderToolCard(card({ status: 'ok', result: 'fine', preview: { kind: 'command', command: 'ls' } }), new Set());
    for (const s of el.querySelectorAll('summary')) assert.equal(s.getAttribute('tabindex'), '-1');
  });

  it('an assistant answer is rendered Markdown; a user message stays plain text', () => {
    const a = renderItem({ kind: 'assistant', text: '## Plan\n\n<img src=x onerror=alert(1)>', streaming: false }, new Set());
    assert.equal(a.querySelector('h2')?.textContent, 'Plan');
    assert.equal(a.querySelector('img'), null);
    const u = renderItem({ kind: 'user', text: '## not a heading <b>x</b>' }, new Set());
    assert.equal(u.querySelector('h2, b'), null);
  });

  it('a failed run offers Retry, and Set API Key for an auth error; the unanswered question says so', () => {
    const end = renderItem({ kind: 'run-end', reason: 'error', usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, steps: 0 }, error: '401 invalid x-api-key', errorKind: 'auth' }, new Set());
    assert.deepEqual([...end.querySelectorAll('.run-actions button')].map((b) => b.getAttribute('data-action') ?? b.getAttribute('data-command')), ['retry', 'setApiKey']);
    const net = renderItem({ kind: 'run-end', reason: 'error', usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, steps: 0 }, errorKind: 'network' }, new Set());
    assert.deepEqual([...net.querySelectorAll('.run-actions button')].map((b) => b.getAttribute('data-action')), ['retry']);
    const user = renderItem({ kind: 'user', text: 'hi', failed: true }, new Set());
    assert.match(user.textContent!, /Not answered/);
  });
});
