// The snapshot a navigation takes for the browser_snapshot that nearly always follows it. A navigation installs a
// change watch in the new document (a MutationObserver and the state an accessibility snapshot reads that is not in
// the DOM: focus, form values, open popovers, animations), then takes Playwright's snapshot in the background while
// its short reply travels. browser_snapshot asks the page in one round trip whether anything changed since; if not,
// it answers with that snapshot (its refs are Playwright's latest for the page) instead of walking the page again.
// Any other tool on the tab forgets it. Pages the watch cannot see through (frames, shadow roots, custom elements
// not yet upgraded, running animations) or cannot see yet (a load still under way: a stylesheet arriving later may
// hide or show parts without a DOM change) get no cached snapshot. The watch lives in the page's own world: a hostile
// page can at worst make its cached snapshot stale, i.e. show its own earlier content; what the check answers is
// taken only when it is exactly `true`, and the title it reports is made one clipped line on the host.
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';

interface Cached {
  /** The page's global the watch is reachable under (random per navigation, non-enumerable). */
  key: string;
  snapshot: Promise<string | null>;
}

const cache = new WeakMap<Page, Cached>();

/** Above this many elements a page is not walked ahead (the walk would hold the page's thread for whatever comes
 * next) and gets no watch (its install and check walk the elements too). */
export const AHEAD_MAX_ELEMENTS = 5000;

/** A statement for the navigation's own page evaluate (before the snapshot starts): install the change watch. */
export function watchStatement(key: string): string {
  return `try { (() => {
    if (document.getElementsByTagName('*').length > ${AHEAD_MAX_ELEMENTS} || document.readyState !== 'complete' || document.querySelector('iframe,frame,object,embed') || document.querySelector(':not(:defined)') || document.getAnimations().length) return;
    for (const el of document.querySelectorAll('*')) if (el.shadowRoot) return;
    const forms = () => { let s = ''; for (const el of document.querySelectorAll('input,textarea,select')) s += String(el.value) + '\\u0000' + el.checked + el.indeterminate + el.selectedIndex + '\\u0001'; return s; };
    const popovers = () => document.querySelectorAll(':popover-open').length;
    const state = () => [document.activeElement, forms(), popovers()];
    const before = state();
    let changed = false;
    const watch = new MutationObserver(() => { changed = true; watch.disconnect(); });
    watch.observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
    const unchanged = () => {
      if (changed || watch.takeRecords().length || document.getAnimations().length || document.querySelector(':not(:defined)')) return false;
      for (const el of document.querySelectorAll('*')) if (el.shadowRoot) return false;
      const now = state();
      return now[0] === before[0] && now[1] === before[1] && now[2] === before[2];
    };
    Object.defineProperty(window, ${JSON.stringify(key)}, { value: unchanged, enumerable: false });
  })(); } catch {}`;
}

/** Random bytes for keys, drawn 32 keys at a time: a call into the system's random source per navigation showed
 * in the server's profile, and keys stay exactly as unpredictable. */
let keyBytes = Buffer.alloc(0);

/** A new key for a navigation's watch. */
export function newWatchKey(): string {
  if (keyBytes.length < 8) keyBytes = randomBytes(256);
  const key = `__suna_unchanged_${keyBytes.subarray(0, 8).toString('hex')}`;
  keyBytes = keyBytes.subarray(8);
  return key;
}

/** Remember the snapshot being taken after a navigation whose evaluate installed the watch under `key`. */
export function rememberSnapshot(page: Page, key: string, snapshot: Promise<string>): void {
  const entry: Cached = { key, snapshot: snapshot.catch(() => null) };
  cache.set(page, entry);
}

/** Any other tool on the tab: the page may change from here on (an action, a script, another navigation). */
export function forgetSnapshot(page: Page): void {
  cache.delete(page);
}

/** The page's title and whether the remembered snapshot still shows it, in one round trip. */
const checkExpression = (key: string) => `(() => {
  let unchanged = false;
  try { const f = window[${JSON.stringify(key)}]; unchanged = typeof f === 'function' && f() === true; } catch {}
  return { unchanged, title: document.title };
})()`;

const TITLE_CHARS = 1000;

/** A page's title as one bounded line (it is page data, whatever produced it). */
export function titleLine(value: unknown): string {
  return typeof value === 'string' ? value.slice(0, 4 * TITLE_CHARS).replace(/\s+/g, ' ').trim().slice(0, TITLE_CHARS) : '';
}

/**
 * The remembered snapshot when the page has not changed since it was taken, with the title; null when there is none
 * or it is stale (then the caller takes a new one; `title` is still the page's when the check answered).
 */
export async function cachedSnapshot(page: Page, evaluate: (expression: string) => Promise<unknown>): Promise<{ snapshot: string | null; title: string | null }> {
  const entry = cache.get(page);
  if (!entry) return { snapshot: null, title: null };
  cache.delete(page); // used once: refs stay Playwright's latest only until the next snapshot or action
  // Asked at once, not after the snapshot arrives: "unchanged since the watch began" at any moment after the walk
  // started still means the walk shows the page as it is (a change after the check but during the walk is in it).
  const checked = evaluate(checkExpression(entry.key)).catch(() => null);
  const snapshot = await entry.snapshot;
  const answer = (await checked) as { unchanged?: unknown; title?: unknown } | null;
  if (!answer || typeof answer !== 'object') return { snapshot: null, title: null };
  return { snapshot: answer.unchanged === true ? snapshot : null, title: titleLine(answer.title) };
}
