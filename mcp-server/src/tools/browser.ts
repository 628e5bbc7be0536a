// Browser tools: Chromium inside the sandbox, driven over CDP. Pages are described by an accessibility
// snapshot whose element refs ([ref=e12]) the action tools take; every action answers with a short snapshot.
import type { Locator, Page } from 'playwright-core';
import { z } from 'zod';
import { BrowserSession } from '../browser/session.js';
import { defineTool, ToolError, type ToolContext } from '../tool.js';

const SHORT_SNAPSHOT_CHARS = 3000;
const FULL_SNAPSHOT_CHARS = 20_000;
const ACTION_TIMEOUT_MS = 10_000;
const NAV_TIMEOUT_MS = 30_000;
export const SCREENSHOT_DIR = '/workspace/.suna/screenshots';
const MAX_IMAGE_SIDE = 1568;

// Playwright's refs: "e12" on the first page a tab shows, "f1e3"-style once a tab has loaded another page or frame.
const refArg = z.string().regex(/^[a-z][a-z0-9]{0,31}$/i, 'a ref from browser_snapshot, like "e12" or "f1e3"').describe('Element ref from the latest snapshot, e.g. "e12"');

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

async function snapshot(page: Page): Promise<string> {
  return page.ariaSnapshot({ mode: 'ai', timeout: ACTION_TIMEOUT_MS });
}

/** URL, title and a short snapshot: what every action replies with so the model sees the result. */
async function replyWithPage(ctx: ToolContext, page: Page, headline: string): Promise<void> {
  const title = await page.title().catch(() => '');
  ctx.reply.text(`${headline}\nurl: ${page.url()}${title ? `\ntitle: ${title}` : ''}`);
  const snap = await snapshot(page).catch((e: Error) => `(no snapshot: ${e.message.split('\n')[0]})`);
  ctx.reply.text(`snapshot (refs for browser_click / browser_type; browser_snapshot for all of it):\n${snap}`, { max: SHORT_SNAPSHOT_CHARS });
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

export const browserNavigate = defineTool({
  name: 'browser_navigate',
  title: 'Open a URL',
  kind: 'browse',
  description: "Open a URL in the sandbox's browser (it sees the sandbox's own localhost, e.g. a dev server you started there). Returns the title and a short snapshot.",
  input: z.object({ url: z.string().min(1).max(8000) }),
  async handle({ url }, ctx) {
    const target = checkWebUrl(url);
    const browser = ctx.runtime.browser;
    let page = await browser.page();
    const open = (p: Page) => p.goto(target.href, { waitUntil: 'domcontentloaded', timeout: NAV_TIMEOUT_MS });
    const res = await act(`opening ${target.href}`, async () => {
      try {
        return await open(page);
      } catch (err) {
        if (BrowserSession.isGone(err)) {
          await browser.restart(); // Chromium died since the last call: start a new one and open the page there
          page = await browser.page();
          return open(page);
        }
        // Leaving an error page races with Chromium's own automatic reload of error pages: let that
        // navigation finish, and take its result when it ended where we were going.
        if (!/is interrupted by another navigation/.test((err as Error).message)) throw err;
        await page.waitForLoadState('domcontentloaded', { timeout: NAV_TIMEOUT_MS }).catch(() => {});
        if (page.url() === target.href) return null;
        return open(page);
      }
    });
    await page.waitForLoadState('load', { timeout: 3000 }).catch(() => {});
    await replyWithPage(ctx, page, `opened ${target.href}${res ? ` (HTTP ${res.status()})` : ''}`);
  },
});

export const browserSnapshot = defineTool({
  name: 'browser_snapshot',
  title: 'Page snapshot',
  kind: 'read',
  description: 'The accessibility tree of the current page as text, with element refs ([ref=e12]) for the action tools. Capped; the full text is saved when cut.',
  input: z.object({}),
  async handle(_args, ctx) {
    const page = await ctx.runtime.browser.page();
    const snap = await act('taking the snapshot', () => snapshot(page));
    let savedTo: string | undefined;
    if (snap.length > FULL_SNAPSHOT_CHARS) {
      savedTo = `.suna/browser/snapshot-${Date.now()}.yml`;
      await ctx.sandbox.call('write', { path: `/workspace/${savedTo}`, data: Buffer.from(snap).toString('base64'), mkdirs: true }, { timeoutMs: 30_000 });
    }
    ctx.reply.text(`url: ${page.url()}\ntitle: ${await page.title().catch(() => '')}`);
    ctx.reply.text(snap, { max: FULL_SNAPSHOT_CHARS, savedTo });
  },
});

export const browserClick = defineTool({
  name: 'browser_click',
  title: 'Click',
  kind: 'browse',
  description: 'Click an element by its ref from the latest snapshot.',
  input: z.object({ ref: refArg }),
  async handle({ ref }, ctx) {
    const page = await ctx.runtime.browser.page();
    const loc = await byRef(page, ref);
    await act(`clicking ${ref}`, () => loc.click({ timeout: ACTION_TIMEOUT_MS }));
    await page.waitForLoadState('domcontentloaded', { timeout: 3000 }).catch(() => {});
    await replyWithPage(ctx, page, `clicked ${ref}`);
  },
});

export const browserType = defineTool({
  name: 'browser_type',
  title: 'Type text',
  kind: 'browse',
  description: 'Fill a text field (found by ref) with text, replacing what it held; with submit, press Enter afterwards.',
  input: z.object({ ref: refArg, text: z.string().max(100_000), submit: z.boolean().optional() }),
  async handle({ ref, text, submit }, ctx) {
    const page = await ctx.runtime.browser.page();
    const loc = await byRef(page, ref);
    await act(`typing into ${ref}`, () => loc.fill(text, { timeout: ACTION_TIMEOUT_MS }));
    if (submit) {
      await act(`submitting ${ref}`, () => loc.press('Enter', { timeout: ACTION_TIMEOUT_MS }));
      await page.waitForLoadState('domcontentloaded', { timeout: 5000 }).catch(() => {});
    }
    await replyWithPage(ctx, page, `typed ${text.length} characters into ${ref}${submit ? ' and pressed Enter' : ''}`);
  },
});

export const browserSelect = defineTool({
  name: 'browser_select',
  title: 'Choose options',
  kind: 'browse',
  description: 'Choose option(s) of a <select> (found by ref), by value or visible label.',
  input: z.object({ ref: refArg, values: z.array(z.string().max(1000)).min(1).max(100) }),
  async handle({ ref, values }, ctx) {
    const page = await ctx.runtime.browser.page();
    const loc = await byRef(page, ref);
    const chosen = await act(`selecting in ${ref}`, () => loc.selectOption(values, { timeout: ACTION_TIMEOUT_MS }));
    await replyWithPage(ctx, page, `selected ${chosen.join(', ')} in ${ref}`);
  },
});

export const browserPress = defineTool({
  name: 'browser_press',
  title: 'Press a key',
  kind: 'browse',
  description: 'Press a key or chord in the page, e.g. "Enter", "Escape", "ArrowDown", "Control+a".',
  input: z.object({ key: z.string().min(1).max(50) }),
  async handle({ key }, ctx) {
    const page = await ctx.runtime.browser.page();
    await act(`pressing ${key}`, () => page.keyboard.press(key));
    await replyWithPage(ctx, page, `pressed ${key}`);
  },
});

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

export const browserScroll = defineTool({
  name: 'browser_scroll',
  title: 'Scroll',
  kind: 'browse',
  description: 'Scroll the page by `amount` pixels (default: most of a screen).',
  input: z.object({ direction: z.enum(['up', 'down', 'left', 'right']), amount: z.number().int().min(1).max(100_000).optional() }),
  async handle({ direction, amount }, ctx) {
    const page = await ctx.runtime.browser.page();
    const px = amount ?? 600;
    const [dx, dy] = { up: [0, -px], down: [0, px], left: [-px, 0], right: [px, 0] }[direction];
    const before = await scrollPosition(page);
    await act('scrolling', () => page.mouse.wheel(dx!, dy!));
    const pos = await settledScroll(page, before);
    await replyWithPage(ctx, page, `scrolled ${direction} ${px}px; now at y=${pos.y} of ${pos.h}`);
  },
});

export const browserBack = defineTool({
  name: 'browser_back',
  title: 'Go back',
  kind: 'browse',
  description: 'Go back to the previous page in this tab.',
  input: z.object({}),
  async handle(_args, ctx) {
    const page = await ctx.runtime.browser.page();
    // 'commit': a page restored from the back/forward cache fires no new load events.
    const res = await act('going back', () => page.goBack({ timeout: NAV_TIMEOUT_MS, waitUntil: 'commit' }));
    await page.waitForLoadState('domcontentloaded', { timeout: 3000 }).catch(() => {});
    await replyWithPage(ctx, page, res ? 'went back' : 'there is no previous page in this tab');
  },
});

export const browserWait = defineTool({
  name: 'browser_wait',
  title: 'Wait',
  kind: 'read',
  description: 'Wait until `text` appears on the page (up to time_s, default 10), or just wait time_s seconds.',
  input: z.object({ text: z.string().min(1).max(1000).optional(), time_s: z.number().min(0).max(50).optional() }),
  async handle({ text, time_s }, ctx) {
    const page = await ctx.runtime.browser.page();
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
      await replyWithPage(ctx, page, `"${text}" is on the page`);
    } else {
      await new Promise((r) => setTimeout(r, (time_s ?? 1) * 1000));
      await replyWithPage(ctx, page, `waited ${time_s ?? 1} s`);
    }
  },
});

export const browserTabs = defineTool({
  name: 'browser_tabs',
  title: 'Tabs',
  kind: 'browse',
  description: 'List, open, select or close browser tabs (index from the list).',
  input: z.object({ action: z.enum(['list', 'new', 'select', 'close']), index: z.number().int().min(0).optional() }),
  async handle({ action, index }, ctx) {
    const b = ctx.runtime.browser;
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

export const browserScreenshot = defineTool({
  name: 'browser_screenshot',
  title: 'Screenshot',
  kind: 'read',
  description: `A screenshot of the current page (or the whole page with full_page), as an image downscaled to ≤ ${MAX_IMAGE_SIDE} px; also saved under .suna/screenshots/.`,
  input: z.object({ full_page: z.boolean().optional() }),
  async handle({ full_page }, ctx) {
    const page = await ctx.runtime.browser.page();
    const png = await act('taking the screenshot', () => page.screenshot({ fullPage: !!full_page, type: 'png', timeout: NAV_TIMEOUT_MS }));
    const img = await ctx.runtime.browser.renderImage(png, 'image/png', MAX_IMAGE_SIDE);
    const file = `${SCREENSHOT_DIR}/shot-${Date.now()}.png`;
    await ctx.sandbox.call('write', { path: file, data: png.toString('base64'), mkdirs: true }, { timeoutMs: 30_000 });
    ctx.reply.text(`screenshot of ${page.url()} (${img.originalWidth}×${img.originalHeight}${img.width !== img.originalWidth ? `, shown at ${img.width}×${img.height}` : ''}); full size saved to ${file.slice('/workspace/'.length)}`);
    ctx.reply.image(img.data.toString('base64'), img.mimeType);
    ctx.reply.resourceLink(file.slice('/workspace/'.length), { mimeType: 'image/png', description: 'the full-size screenshot' });
  },
});

export const browserEvaluate = defineTool({
  name: 'browser_evaluate',
  title: 'Run JavaScript in the page',
  kind: 'browse',
  description: 'Evaluate a JavaScript expression (or a function like "() => document.title") in the current page and return the result as JSON (capped).',
  input: z.object({ expression: z.string().min(1).max(100_000) }),
  async handle({ expression }, ctx) {
    const page = await ctx.runtime.browser.page();
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
