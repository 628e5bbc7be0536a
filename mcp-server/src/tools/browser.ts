// Browser tools: Chromium inside the sandbox, driven over CDP. Pages are described by an accessibility
// snapshot whose element refs ([ref=e12]) the action tools take. Navigation answers with a short summary (the
// model asks browser_snapshot for refs); the other actions answer with a short snapshot showing their effect.
// Each is a tab tool (../browser/tab-tool.ts): a handler is only its action.
import type { Locator, Page } from 'playwright-core';
import { z } from 'zod';
import { BrowserSession } from '../browser/session.js';
import { cachedSnapshot, titleLine } from '../browser/snapshot-cache.js';
import { ACTION_TIMEOUT_MS, defineTabTool, evaluateInPage, SNAPSHOT_TIMEOUT_MS, snapshot } from '../browser/tab-tool.js';
import { ToolError } from '../tool.js';

const FULL_SNAPSHOT_CHARS = 20_000;
const NAV_TIMEOUT_MS = 30_000;
export const SCREENSHOT_DIR = '/workspace/.suna/screenshots';
const MAX_IMAGE_SIDE = 1568;

// Playwright's refs: "e12" on the first page a tab shows, "f1e3"-style once a tab has loaded another page or frame.
const refArg = z.string().regex(/^[a-z][a-z0-9]{0,31}$/i, 'a ref from browser_snapshot, like "e12" or "f1e3"').describe('From the latest snapshot, e.g. "e12"');

export function checkWebUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ToolError(`"${url}" is not a URL; give a full http(s) URL like https://example.com or http://localhost:3000`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ToolError(`only http and https URLs are allowed (got ${u.protocol})`);
  return u;
}

async function byRef(page: Page, ref: string): Promise<Locator> {
  const loc = page.locator(`aria-ref=${ref}`);
  if ((await loc.count().catch(() => 0)) === 0) throw new ToolError(`element ref ${ref} is not on the page any more (it changed); take a new browser_snapshot`);
  return loc;
}

/** Playwright failures, reworded: what happened and what to do. */
function explain(err: unknown, what: string): never {
  if (err instanceof ToolError) throw err;
  const msg = (err as Error).message ?? String(err);
  if (BrowserSession.isGone(err)) throw new ToolError(`${what} failed: the browser had crashed and is being restarted; open the page again with browser_navigate`);
  if (/Timeout|timed out/i.test(msg)) throw new ToolError(`${what} timed out; the element may be hidden, disabled or covered. Take a browser_snapshot and retry`);
  if (/net::ERR_|NS_ERROR/.test(msg)) throw new ToolError(`${what} failed: ${/net::ERR_[A-Z_]+/.exec(msg)?.[0] ?? msg.split('\n')[0]}`);
  throw new ToolError(`${what} failed: ${msg.split('\n')[0]}`);
}

async function act<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    explain(err, what);
  }
}

/**
 * Pages whose last navigation failed. Chromium reports a failure before it commits its error page, and that late
 * commit lands in whatever navigation comes next (Playwright: "interrupted by another navigation"; opening again
 * then races with the first). The next navigation therefore starts in a fresh tab in this one's place.
 */
const failedPages = new WeakSet<Page>();

export const browserNavigate = defineTabTool({
  name: 'browser_navigate',
  title: 'Open a URL',
  kind: 'browse',
  description: "Open a URL in the sandbox's browser (it sees the sandbox's own localhost, e.g. a dev server you started there). Returns the title, the start of the text and what can be acted on; browser_snapshot gives the refs.",
  input: z.object({ url: z.string().min(1).max(8000) }),
  reply: 'summary',
  async handle({ url }, tab) {
    const target = checkWebUrl(url);
    const browser = tab.browser;
    let page = tab.page;
    const open = (p: Page) => p.goto(target.href, { waitUntil: 'domcontentloaded', timeout: NAV_TIMEOUT_MS });
    if (failedPages.has(page)) page = tab.page = await browser.replacePage(page);
    const res = await act(`opening ${target.href}`, async () => {
      try {
        return await open(page);
      } catch (err) {
        if (BrowserSession.isGone(err)) {
          await browser.restart(); // Chromium died since the last call: start a new one and open the page there
          page = tab.page = await browser.page();
          return open(page);
        }
        if (!/is interrupted by another navigation/.test((err as Error).message)) {
          if (/net::ERR_(?!ABORTED)/.test((err as Error).message)) failedPages.add(page); // ERR_ABORTED shows no error page
          throw err;
        }
        // A navigation still under way in this tab (a late error page, a script's redirect) committed over ours.
        // Opening again in the same tab would race with it; a fresh tab in its place has nothing under way.
        page = tab.page = await browser.replacePage(page);
        return open(page);
      }
    });
    await page.waitForLoadState('load', { timeout: 3000 }).catch(() => {});
    tab.requestedUrl = target.href;
    return `opened ${target.href}${res ? ` (HTTP ${res.status()})` : ''}`;
  },
});

export const browserSnapshot = defineTabTool({
  name: 'browser_snapshot',
  title: 'Page snapshot',
  kind: 'read',
  description: 'The accessibility tree of the current page as text, with element refs ([ref=e12]) for the action tools. Capped; the full text is saved when cut.',
  input: z.object({}),
  reply: 'none',
  async handle(_args, { page }, ctx) {
    // The one the navigation took, when the page has not changed since (one round trip instead of a new walk).
    const cached = await cachedSnapshot(page, (expression) => evaluateInPage(page, expression));
    const [snap, title] = cached.snapshot !== null
      ? [cached.snapshot, cached.title ?? '']
      : await Promise.all([act('taking the snapshot', () => snapshot(page, SNAPSHOT_TIMEOUT_MS)), cached.title ?? page.title().then(titleLine, () => '')]);
    let savedTo: string | undefined;
    if (snap.length > FULL_SNAPSHOT_CHARS) {
      savedTo = `.suna/browser/snapshot-${Date.now()}.yml`;
      await ctx.fs.write(`/workspace/${savedTo}`, snap);
    }
    ctx.reply.text(`url: ${page.url()}\ntitle: ${title}`);
    ctx.reply.text(snap, { max: FULL_SNAPSHOT_CHARS, savedTo });
  },
});

export const browserClick = defineTabTool({
  name: 'browser_click',
  title: 'Click',
  kind: 'browse',
  description: 'Click an element by its ref from the latest snapshot.',
  input: z.object({ ref: refArg }),
  reply: 'snapshot',
  async handle({ ref }, { page }) {
    const loc = await byRef(page, ref);
    await act(`clicking ${ref}`, () => loc.click({ timeout: ACTION_TIMEOUT_MS }));
    await page.waitForLoadState('domcontentloaded', { timeout: 3000 }).catch(() => {});
    return `clicked ${ref}`;
  },
});

export const browserType = defineTabTool({
  name: 'browser_type',
  title: 'Type text',
  kind: 'browse',
  description: 'Fill a text field (found by ref) with text, replacing what it held; with submit, press Enter afterwards.',
  input: z.object({ ref: refArg, text: z.string().max(100_000), submit: z.boolean().optional() }),
  reply: 'snapshot',
  async handle({ ref, text, submit }, { page }) {
    const loc = await byRef(page, ref);
    await act(`typing into ${ref}`, () => loc.fill(text, { timeout: ACTION_TIMEOUT_MS }));
    if (submit) {
      await act(`submitting ${ref}`, () => loc.press('Enter', { timeout: ACTION_TIMEOUT_MS }));
      await page.waitForLoadState('domcontentloaded', { timeout: 5000 }).catch(() => {});
    }
    return `typed ${text.length} characters into ${ref}${submit ? ' and pressed Enter' : ''}`;
  },
});

export const browserSelect = defineTabTool({
  name: 'browser_select',
  title: 'Choose options',
  kind: 'browse',
  description: 'Choose option(s) of a <select> (found by ref), by value or visible label.',
  input: z.object({ ref: refArg, values: z.array(z.string().max(1000)).min(1).max(100) }),
  reply: 'snapshot',
  async handle({ ref, values }, { page }) {
    const loc = await byRef(page, ref);
    const chosen = await act(`selecting in ${ref}`, () => loc.selectOption(values, { timeout: ACTION_TIMEOUT_MS }));
    return `selected ${chosen.join(', ')} in ${ref}`;
  },
});

export const browserPress = defineTabTool({
  name: 'browser_press',
  title: 'Press a key',
  kind: 'browse',
  description: 'Press a key or chord in the page, e.g. "Enter", "Escape", "ArrowDown", "Control+a".',
  input: z.object({ key: z.string().min(1).max(50) }),
  reply: 'snapshot',
  async handle({ key }, { page }) {
    await act(`pressing ${key}`, () => page.keyboard.press(key));
    return `pressed ${key}`;
  },
});

/** A wait that ends early when the call is cancelled (the caller's race then answers "cancelled"). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

type ScrollPosition = { x: number; y: number; h: number };
const scrollPosition = (page: Page): Promise<ScrollPosition> =>
  page.evaluate(() => ({ x: Math.round(scrollX), y: Math.round(scrollY), h: document.documentElement.scrollHeight }));

/** mouse.wheel returns before the page has scrolled: wait (≤ 1 s) until the position moved and then held still
 * (or 300 ms without movement: the page was already at its edge). */
async function settledScroll(page: Page, before: ScrollPosition): Promise<ScrollPosition> {
  let last = before;
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 50));
    const now = await scrollPosition(page).catch(() => last);
    const moved = now.x !== before.x || now.y !== before.y;
    if (moved && now.x === last.x && now.y === last.y) return now;
    if (!moved && i >= 5) return now; // at the edge already: nothing will move
    last = now;
  }
  return last;
}

export const browserScroll = defineTabTool({
  name: 'browser_scroll',
  title: 'Scroll',
  kind: 'browse',
  description: 'Scroll the page by `amount` pixels (default: most of a screen).',
  input: z.object({ direction: z.enum(['up', 'down', 'left', 'right']), amount: z.number().int().min(1).max(100_000).optional() }),
  reply: 'snapshot',
  async handle({ direction, amount }, { page }) {
    const px = amount ?? 600;
    const [dx, dy] = { up: [0, -px], down: [0, px], left: [-px, 0], right: [px, 0] }[direction];
    const before = await scrollPosition(page);
    await act('scrolling', () => page.mouse.wheel(dx!, dy!));
    const pos = await settledScroll(page, before);
    return `scrolled ${direction} ${px}px; now at y=${pos.y} of ${pos.h}`;
  },
});

export const browserBack = defineTabTool({
  name: 'browser_back',
  title: 'Go back',
  kind: 'browse',
  description: 'Go back to the previous page in this tab.',
  input: z.object({}),
  reply: 'snapshot',
  async handle(_args, { page }) {
    // 'commit': a page restored from the back/forward cache fires no new load events.
    const res = await act('going back', () => page.goBack({ timeout: NAV_TIMEOUT_MS, waitUntil: 'commit' }));
    await page.waitForLoadState('domcontentloaded', { timeout: 3000 }).catch(() => {});
    return res ? 'went back' : 'there is no previous page in this tab';
  },
});

export const browserWait = defineTabTool({
  name: 'browser_wait',
  title: 'Wait',
  kind: 'read',
  description: 'Wait until `text` appears on the page (up to time_s, default 10), or just wait time_s seconds.',
  input: z.object({ text: z.string().min(1).max(1000).optional(), time_s: z.number().min(0).max(50).optional() }),
  reply: 'snapshot',
  async handle({ text, time_s }, { page }, ctx) {
    if (text) {
      const seconds = time_s ?? 10;
      await page
        .getByText(text)
        .first()
        .waitFor({ state: 'visible', timeout: seconds * 1000 })
        .catch((err: unknown) => {
          if (err instanceof Error && /Timeout/i.test(err.message) && !BrowserSession.isGone(err))
            throw new ToolError(`"${text}" did not appear on the page within ${seconds} s; browser_snapshot shows what is there`);
          explain(err, `waiting for "${text}"`);
        });
      return `"${text}" is on the page`;
    }
    await sleep((time_s ?? 1) * 1000, ctx.signal);
    return `waited ${time_s ?? 1} s`;
  },
});

export const browserTabs = defineTabTool({
  name: 'browser_tabs',
  title: 'Tabs',
  kind: 'browse',
  description: 'List, open, select or close browser tabs (index from the list).',
  input: z.object({ action: z.enum(['list', 'new', 'select', 'close']), index: z.number().int().min(0).optional() }),
  reply: 'none',
  async handle({ action, index }, { browser: b }, ctx) {
    if (action === 'new') await b.newTab();
    if (action === 'select' || action === 'close') {
      if (index === undefined) throw new ToolError(`browser_tabs ${action} needs an index; use action "list" to see them`);
      const page = await act(`selecting tab ${index}`, () => b.selectTab(index));
      if (action === 'close') await page.close();
    }
    const pages = await b.pages();
    const current = Math.min(b.currentIndex, pages.length - 1);
    const lines = await Promise.all(pages.map(async (p, i) => `${i === current ? '*' : ' '} ${i}: ${(await p.title().catch(() => '')) || '(untitled)'} — ${p.url()}`));
    ctx.reply.text(lines.length ? lines.join('\n') : 'no tabs open');
  },
});

export const browserScreenshot = defineTabTool({
  name: 'browser_screenshot',
  title: 'Screenshot',
  kind: 'read',
  description: `A screenshot of the current page (or the whole page with full_page), as an image downscaled to ≤ ${MAX_IMAGE_SIDE} px; also saved under .suna/screenshots/.`,
  input: z.object({ full_page: z.boolean().optional() }),
  reply: 'none',
  async handle({ full_page }, { page, browser }, ctx) {
    const png = await act('taking the screenshot', () => page.screenshot({ fullPage: !!full_page, type: 'png', timeout: NAV_TIMEOUT_MS }));
    const img = await browser.renderImage(png, 'image/png', MAX_IMAGE_SIDE);
    const file = `${SCREENSHOT_DIR}/shot-${Date.now()}.png`;
    await ctx.fs.write(file, png);
    ctx.reply.text(`screenshot of ${page.url()} (${img.originalWidth}×${img.originalHeight}${img.width !== img.originalWidth ? `, shown at ${img.width}×${img.height}` : ''}); full size saved to ${file.slice('/workspace/'.length)}`);
    ctx.reply.image(img.data.toString('base64'), img.mimeType);
    ctx.reply.resourceLink(file.slice('/workspace/'.length), { mimeType: 'image/png', description: 'the full-size screenshot' });
  },
});

export const browserEvaluate = defineTabTool({
  name: 'browser_evaluate',
  title: 'Run JavaScript in the page',
  kind: 'browse',
  description: 'Evaluate a JavaScript expression (or a function like "() => document.title") in the current page and return the result as JSON (capped).',
  input: z.object({ expression: z.string().min(1).max(100_000) }),
  reply: 'none',
  async handle({ expression }, { page }, ctx) {
    // An expression, or a function which is then called: both forms are common in what models write.
    const wrapped = `(async () => { const __v = (${expression}\n); return typeof __v === 'function' ? await __v() : await __v; })()`;
    const value = await act('evaluating', () => page.evaluate(wrapped));
    const json = JSON.stringify(value, null, 2) ?? 'undefined';
    ctx.reply.text(json, { max: FULL_SNAPSHOT_CHARS });
  },
});

export const browserTools = [
  browserNavigate,
  browserSnapshot,
  browserClick,
  browserType,
  browserSelect,
  browserPress,
  browserScroll,
  browserBack,
  browserWait,
  browserTabs,
  browserScreenshot,
  browserEvaluate,
];
