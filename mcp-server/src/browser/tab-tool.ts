// The tab-tool helper (as Playwright MCP's defineTabTool): a browser tool declares its action on the current tab
// and what its reply shows; getting the page, binding the call's cancellation signal and writing the reply happen
// here, once. Replies: an action shows its effect (URL, title, a short snapshot); a navigation shows a summary of
// about 0.3 KB (title, the start of the text, what can be acted on) and leaves the refs to browser_snapshot.
import type { CDPSession, Page } from 'playwright-core';
import type { z } from 'zod';
import { AbortedError } from '@suna/sandbox';
import { defineTool, type ToolContext, type ToolDefinition } from '../tool.js';
import type { BrowserSession } from './session.js';
import { AHEAD_MAX_ELEMENTS, forgetSnapshot, newWatchKey, rememberSnapshot, watchStatement } from './snapshot-cache.js';

export const ACTION_TIMEOUT_MS = 10_000;
/** browser_snapshot gives a huge page more time than an action's reply. */
export const SNAPSHOT_TIMEOUT_MS = 30_000;
const SHORT_SNAPSHOT_CHARS = 3000;

/** The page's accessibility snapshot with refs; browser_snapshot gives a huge page more time than an action's reply. */
export async function snapshot(page: Page, timeout = ACTION_TIMEOUT_MS): Promise<string> {
  return page.ariaSnapshot({ mode: 'ai', timeout });
}

/** URL, title and a short snapshot: what an action replies with so the model sees its effect. */
async function replyWithPage(ctx: ToolContext, page: Page, headline: string): Promise<void> {
  const [title, snap] = await Promise.all([page.title().catch(() => ''), snapshot(page).catch((e: Error) => `(no snapshot: ${e.message.split('\n')[0]})`)]);
  ctx.reply.text(`${headline}\nurl: ${page.url()}${title ? `\ntitle: ${title}` : ''}`);
  ctx.reply.text(`snapshot (refs for browser_click / browser_type; browser_snapshot for all of it):\n${snap}`, { max: SHORT_SNAPSHOT_CHARS });
}

const SUMMARY_TEXT_CHARS = 160;
type PageSummary = { title: string; text: string; headings: number; links: number; buttons: number; fields: number };

/** The summary, computed in the page by one CDP Runtime.evaluate (a string: no bundler helper may leak into it),
 * after installing the change watch of the snapshot taken next (snapshot-cache.ts) under `key`. */
const summaryExpression = (key: string) => `(() => {
  ${watchStatement(key)}
  const count = (sel) => document.querySelectorAll(sel).length;
  const clip = (s) => String(s).slice(0, ${4 * SUMMARY_TEXT_CHARS});
  return {
    title: clip(document.title),
    text: clip(document.body ? document.body.innerText : ''),
    headings: count('h1,h2,h3,h4,h5,h6,[role=heading]'),
    links: count('a[href],[role=link]'),
    buttons: count('button,input[type=button],input[type=submit],input[type=reset],[role=button]'),
    fields: count('input:not([type=hidden]):not([type=button]):not([type=submit]):not([type=reset]),textarea,select,[contenteditable=""],[contenteditable=true]'),
    elements: document.getElementsByTagName('*').length,
  };
})()`;

/** One line of page text for the reply: whitespace (newlines too) collapsed and clipped here, on the host — the
 * page's own String.prototype may have been replaced, so nothing it returns is taken as already clean. */
function pageLine(value: unknown): string {
  if (typeof value !== 'string') return '';
  const line = value.slice(0, 8 * SUMMARY_TEXT_CHARS).replace(/\s+/g, ' ').trim();
  return line.length > SUMMARY_TEXT_CHARS ? `${line.slice(0, SUMMARY_TEXT_CHARS)}…` : line;
}

const countOf = (value: unknown) => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0);

/** What the page answered, checked field by field: page data, whatever shape it has. */
export function checkSummary(value: unknown): PageSummary | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  return { title: pageLine(v.title), text: pageLine(v.text), headings: countOf(v.headings), links: countOf(v.links), buttons: countOf(v.buttons), fields: countOf(v.fields) };
}

/** One CDP session per page, kept for the page's life: attaching costs a round trip through the tunnel. */
const sessions = new WeakMap<Page, Promise<CDPSession>>();

/** Send one CDP command on the page's own session (made once; made again when it was detached). */
export async function pageCommand<T>(page: Page, method: Parameters<CDPSession['send']>[0], params?: Record<string, unknown>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    let session = sessions.get(page);
    if (!session) {
      session = page.context().newCDPSession(page);
      sessions.set(page, session);
      session.catch(() => sessions.get(page) === session && sessions.delete(page));
    }
    try {
      return (await (await session).send(method, params as never)) as T;
    } catch (err) {
      if (sessions.get(page) === session) sessions.delete(page);
      if (attempt > 0 || page.isClosed()) throw err;
    }
  }
}

/** A page evaluate by value (our own CDP session: no script injected into the page first); throws on an exception. */
export async function evaluateInPage(page: Page, expression: string): Promise<unknown> {
  const r = await pageCommand<{ result?: { value?: unknown }; exceptionDetails?: unknown }>(page, 'Runtime.evaluate', { expression, returnByValue: true });
  if (r.exceptionDetails) throw new Error('the page threw');
  return r.result?.value;
}

/** One round trip: the title, the start of the visible text and how many things there are to act on, and how many
 * elements the page has; and the change watch for the snapshot taken next, under `key`. */
async function summarize(page: Page, key: string): Promise<{ summary: PageSummary | null; elements: number }> {
  const value = await evaluateInPage(page, summaryExpression(key));
  return { summary: checkSummary(value), elements: countOf((value as { elements?: unknown } | null)?.elements) };
}

/**
 * Take the snapshot that nearly always follows a navigation while the reply travels and the model decides (it also
 * loads Playwright's scripts into the new document: about 86 KB that Chromium compiles per document). Not awaited;
 * browser_snapshot uses it if the page has not changed since (snapshot-cache.ts), else takes its own. A huge page
 * only gets the scripts loaded (a count through them).
 */
function snapshotAhead(page: Page, key: string, elements: number): void {
  if (elements > AHEAD_MAX_ELEMENTS) return void page.locator('body').count().catch(() => {});
  rememberSnapshot(page, key, snapshot(page, SNAPSHOT_TIMEOUT_MS));
}

/**
 * What a navigation replies: title, where it landed when redirected, the start of the text and what can be acted
 * on — about 0.3 KB. The refs come from browser_snapshot: most pages are read or acted on once, and a snapshot
 * in every navigation reply cost ten times the tokens.
 */
async function replyWithSummary(ctx: ToolContext, page: Page, headline: string, requested?: string): Promise<void> {
  const key = newWatchKey();
  const { summary: s, elements } = await summarize(page, key).catch(() => ({ summary: null, elements: 0 }));
  snapshotAhead(page, key, elements);
  const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  const lines = [headline];
  if (page.url() !== requested) lines.push(`url: ${page.url()}`);
  if (s?.title) lines.push(`title: ${s.title}`);
  if (s) {
    if (s.text) lines.push(`text: ${s.text}`);
    lines.push(`has ${[plural(s.headings, 'heading'), plural(s.links, 'link'), plural(s.buttons, 'button'), plural(s.fields, 'field')].join(', ')}; browser_snapshot gives their refs`);
  }
  ctx.reply.text(lines.join('\n'));
}

/** The tab a tool acts on; a handler may replace `page` (navigation restarts a crashed browser). */
interface Tab {
  page: Page;
  readonly browser: BrowserSession;
  /** Set by a navigation: the reply names the URL it landed on only when that differs (a redirect). */
  requestedUrl?: string;
}

interface TabToolDefinition<S extends z.ZodObject> extends Omit<ToolDefinition<S>, 'handle'> {
  /** What follows the headline: the page with a short snapshot (an action's effect), a summary, or nothing. */
  reply: 'snapshot' | 'summary' | 'none';
  /** The action; returns the reply's headline. */
  handle(args: z.infer<S>, tab: Tab, ctx: ToolContext): Promise<string | void>;
}

/**
 * A tool acting on the current tab (as Playwright MCP's defineTabTool): the page, the action and the reply,
 * bound to the call's signal. Playwright takes no AbortSignal, so a cancelled call stops the page loading
 * and answers at once; the abandoned Playwright call ends on its own timeout.
 */
export function defineTabTool<S extends z.ZodObject>(def: TabToolDefinition<S>): ToolDefinition<S> {
  return defineTool({
    ...def,
    async handle(args, ctx) {
      await stopping.get(ctx.runtime.browser); // a cancelled call's stop lands before this call starts, not amid it
      const tab: Tab = { page: await ctx.runtime.browser.page(), browser: ctx.runtime.browser };
      if (def.name !== 'browser_snapshot') forgetSnapshot(tab.page); // it may change the page from here on
      await untilCancelled(ctx.signal, tab, async () => {
        const headline = (await def.handle(args, tab, ctx)) ?? '';
        if (def.reply === 'snapshot') await replyWithPage(ctx, tab.page, headline);
        else if (def.reply === 'summary') await replyWithSummary(ctx, tab.page, headline, tab.requestedUrl);
      });
    },
  });
}

async function untilCancelled(signal: AbortSignal, tab: Tab, work: () => Promise<void>): Promise<void> {
  if (signal.aborted) throw new AbortedError();
  let onAbort: (() => void) | undefined;
  const cancelled = new Promise<never>((_, reject) => {
    onAbort = () => {
      const stop = Promise.race([stopLoading(tab.page), new Promise<void>((r) => setTimeout(r, STOP_WAIT_MS).unref())]);
      stopping.set(tab.browser, stop);
      void stop.then(() => stopping.get(tab.browser) === stop && stopping.delete(tab.browser));
      reject(new AbortedError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  const running = work();
  running.catch(() => {}); // after a cancel its failure has no one to tell
  try {
    await Promise.race([running, cancelled]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

/** A stop of a cancelled call still on its way to Chromium, per browser. */
const stopping = new WeakMap<BrowserSession, Promise<void>>();
/** How long the next call waits at most for that stop (a hung browser answers nothing). */
const STOP_WAIT_MS = 2000;

/** Stop a load in progress (CDP Page.stopLoading): a cancelled navigation stops fetching. Best effort. */
async function stopLoading(page: Page): Promise<void> {
  try {
    await pageCommand(page, 'Page.stopLoading');
  } catch {
    // the page or browser is gone: nothing is loading
  }
}
