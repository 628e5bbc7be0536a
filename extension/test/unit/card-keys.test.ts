// Keyboard access to tool cards under jsdom: one Tab stop per card, Enter/Space/arrows toggle its parts
// with aria-expanded in step, and the focus survives the card being re-rendered as output streams in.
import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import type { ToolCard } from '../../src/common/transcript.ts';

type Render = typeof import('../../src/webview/render.ts');
type Keys = typeof import('../../src/webview/card-keys.ts');
let renderToolCard: Render['renderToolCard'];
let installCardKeys: Keys['installCardKeys'];
let keepCardFocus: Keys['keepCardFocus'];

const card = (over: Partial<ToolCard>): ToolCard => ({ kind: 'tool', id: 'c1', name: 'shell_exec', args: { command: 'ls' }, status: 'ok', result: 'a\nb', ...over });

describe('tool cards by keyboard', () => {
  let log: HTMLElement;
  let dom: JSDOM;
  before(async () => {
    dom = new JSDOM('<!DOCTYPE html><body><div id="log"></div></body>');
    Object.assign(globalThis, { window: dom.window, document: dom.window.document, CSS: { escape: (s: string) => s.replace(/["\\]/g, '\\$&') } });
    ({ renderToolCard } = await import('../../src/webview/render.ts'));
    ({ installCardKeys, keepCardFocus } = await import('../../src/webview/card-keys.ts'));
    log = document.getElementById('log')!;
    installCardKeys(log);
  });
  after(() => {
    for (const k of ['window', 'document', 'CSS']) delete (globalThis as Record<string, unknown>)[k];
  });
  const press = (el: Element, key: string) => el.dispatchEvent(new dom.window.KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
  const part = (el: Element, name: string) => el.querySelector<HTMLDetailsElement>(`details[data-part="${name}"]`)!;

  it('the card is the one Tab stop; its toggles are not, and say whether they are open', () => {
    const el = renderToolCard(card({ preview: { kind: 'command', command: 'ls' } }), new Set());
    assert.equal(el.getAttribute('tabindex'), '0');
    assert.equal(el.getAttribute('role'), 'group');
    assert.match(el.getAttribute('aria-label')!, /shell_exec ls: done/);
    const summaries = [...el.querySelectorAll('summary')];
    assert.equal(summaries.length, 3);
    for (const s of summaries) assert.equal(s.getAttribute('tabindex'), '-1');
    assert.deepEqual(summaries.map((s) => s.getAttribute('aria-expanded')), ['false', 'false', 'true']);
  });

  it('Enter and Space on the card toggle its result; arrows move into the toggles, Right/Left open and close, Escape goes back', () => {
    const el = renderToolCard(card({}), new Set());
    log.replaceChildren(el);
    el.focus();
    assert.equal(document.activeElement, el);
    press(el, 'Enter');
    assert.equal(part(el, 'result').open, false);
    assert.equal(part(el, 'result').querySelector('summary')!.getAttribute('aria-expanded'), 'false');
    press(el, ' ');
    assert.equal(part(el, 'result').open, true);

    press(el, 'ArrowDown');
    const args = part(el, 'args').querySelector('summary')!;
    assert.equal(document.activeElement, args);
    press(args, 'ArrowRight');
    assert.equal(part(el, 'args').open, true);
    assert.equal(args.getAttribute('aria-expanded'), 'true');
    press(args, 'ArrowLeft');
    assert.equal(part(el, 'args').open, false);
    press(args, 'Enter');
    assert.equal(part(el, 'args').open, true);
    press(args, 'ArrowDown');
    assert.equal(document.activeElement, part(el, 'result').querySelector('summary'));
    press(document.activeElement!, 'Escape');
    assert.equal(document.activeElement, el);
  });

  it('the focus stays on the same card and toggle when the card is re-rendered (live output)', () => {
    const first = renderToolCard(card({ status: 'running', result: undefined }), new Set());
    log.replaceChildren(first);
    first.querySelector<HTMLElement>('summary')!.focus();
    const restore = keepCardFocus(log);
    const again = renderToolCard(card({ status: 'running', result: undefined, output: 'tick 1\n' }), new Set());
    first.replaceWith(again);
    restore();
    assert.equal(document.activeElement, again.querySelector('details[data-part="args"] > summary'));
  });

  it('keys inside model text or other items are left alone', () => {
    const p = document.createElement('div');
    p.tabIndex = 0;
    log.replaceChildren(p);
    const e = new dom.window.KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true });
    p.dispatchEvent(e);
    assert.equal(e.defaultPrevented, false);
  });
});
