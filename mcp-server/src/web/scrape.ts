// The two sources of web_scrape. Firecrawl when it is configured; otherwise the sandbox's own Chromium loads
// the page (so it also sees the sandbox's localhost) and Mozilla Readability picks the main content in the page.
//
// Environment, read on the host when a scrape runs (never logged, never shown to the model):
//   FIRECRAWL_API_KEY     use Firecrawl (https://api.firecrawl.dev) instead of the local browser.
//   FIRECRAWL_API_URL     a self-hosted Firecrawl (or a proxy, or a test server); the key is optional then.
//   SUNA_WEB_TIMEOUT_MS   time limit of one Firecrawl request (default 60 s).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { SdkError } from '@mendable/firecrawl-js';
import { AbortedError } from '@suna/sandbox';
import type { BrowserSession } from '../browser/session.js';
import { ToolError } from '../errors.js';
import { htmlToMarkdown, markdownToText } from './convert.js';
import { webTimeoutMs, withDeadline } from './deadline.js';

export type ScrapeFormat = 'markdown' | 'html' | 'text';

export interface Scraped {
  title: string;
  url: string;
  source: 'firecrawl' | 'local browser';
  content: string;
  status?: number;
  note?: string;
}

const FIRECRAWL_TIMEOUT_MS = 60_000;
const BROWSER_TIMEOUT_MS = 30_000;

export function firecrawlSettings(): { apiKey: string; apiUrl?: string } | undefined {
  const apiKey = process.env.FIRECRAWL_API_KEY?.trim() ?? '';
  const apiUrl = process.env.FIRECRAWL_API_URL?.trim() || undefined;
  return apiKey || apiUrl ? { apiKey, apiUrl } : undefined;
}

function explainFirecrawlError(err: unknown, url: string, timeoutMs: number, SdkErrorClass: typeof SdkError): ToolError {
  if (err instanceof ToolError) return err;
  const e = err as SdkError & { code?: string };
  const msg = (e?.message ?? String(err)).split('\n')[0]!;
  const status = err instanceof SdkErrorClass ? e.status : undefined;
  if (status === 401 || status === 403) return new ToolError(`FIRECRAWL_API_KEY was rejected by Firecrawl (${status}); check the key, or unset it to scrape with the local browser`);
  if (status === 402) return new ToolError('Firecrawl refused the scrape: payment required (out of credits); unset FIRECRAWL_API_KEY to scrape with the local browser');
  if (status === 429) return new ToolError('Firecrawl rate limited this scrape (429); wait a minute and retry');
  if (status === 408 || e?.code === 'ETIMEDOUT' || e?.code === 'ECONNABORTED' || /timed? ?out/i.test(msg))
    return new ToolError(`Firecrawl did not finish scraping ${url} within ${Math.round(timeoutMs / 1000)} s; try again later`);
  const net = /\b(ECONNREFUSED|ENOTFOUND|ECONNRESET|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)\b/.exec(`${e?.code ?? ''} ${msg}`);
  if (net) return new ToolError(`could not reach the Firecrawl API (${net[1]}); check the host's network${process.env.FIRECRAWL_API_URL ? ' and FIRECRAWL_API_URL' : ''}`);
  return new ToolError(`Firecrawl could not scrape ${url}${status ? ` (${status})` : ''}: ${msg}`);
}

export async function scrapeWithFirecrawl(url: string, format: ScrapeFormat, onlyMainContent: boolean, signal: AbortSignal): Promise<Scraped> {
  const settings = firecrawlSettings()!;
  const timeoutMs = webTimeoutMs(FIRECRAWL_TIMEOUT_MS);
  const { default: Firecrawl, SdkError: SdkErrorClass } = await import('@mendable/firecrawl-js'); // loaded on first use: it is slow to load
  const client = new Firecrawl({ apiKey: settings.apiKey || null, apiUrl: settings.apiUrl ?? null, timeoutMs: timeoutMs + 5000, maxRetries: 2 });
  let doc;
  try {
    doc = await withDeadline(
      // Firecrawl has no plain-text format: text is made from its markdown, like the local path does.
      client.scrape(url, { formats: [format === 'html' ? 'html' : 'markdown'], onlyMainContent, timeout: timeoutMs, autoResume: false }),
      timeoutMs + 6000,
      signal,
      'Firecrawl',
    );
  } catch (err) {
    throw explainFirecrawlError(err, url, timeoutMs, SdkErrorClass);
  }
  const md = doc.markdown ?? '';
  const content = format === 'html' ? (doc.html ?? '') : format === 'text' ? markdownToText(md) : md;
  const meta = doc.metadata ?? {};
  const title = typeof meta.title === 'string' ? meta.title : Array.isArray(meta.title) ? String(meta.title[0] ?? '') : '';
  return { title, url: meta.url ?? meta.sourceURL ?? url, source: 'firecrawl', content, status: meta.statusCode, note: meta.error };
}

let readabilitySource: string | undefined;

/** Readability's browser-ready source, injected into the page at runtime (it needs a real DOM). */
function readability(): string {
  readabilitySource ??= readFileSync(createRequire(import.meta.url).resolve('@mozilla/readability/Readability.js'), 'utf8');
  return readabilitySource;
}

interface Extracted {
  title: string;
  html: string;
  main: boolean;
}

/**
 * Runs in the page: Readability's main content when asked for and found, else the whole body without scripts
 * and styles. Links and images are made absolute so they still work out of the page.
 */
function extractionScript(onlyMain: boolean): string {
  return `(() => {
${readability()}
const absolute = (root) => {
  for (const a of root.querySelectorAll('a[href]')) a.setAttribute('href', a.href);
  for (const img of root.querySelectorAll('img[src]')) img.setAttribute('src', img.src);
};
if (${onlyMain}) {
  const article = new Readability(document.cloneNode(true)).parse();
  if (article && article.content && (article.textContent || '').trim()) {
    // Readability keeps "Title | Site" when the parts are short; the page's one h1 is the better heading.
    const h1s = [...document.querySelectorAll('h1')].map((h) => h.textContent.replace(/\\s+/g, ' ').trim()).filter(Boolean);
    const title = h1s.length === 1 && (article.title || '').includes(h1s[0]) ? h1s[0] : article.title || document.title;
    return { title, html: article.content, main: true };
  }
}
const body = (document.body || document.documentElement).cloneNode(true);
for (const el of body.querySelectorAll('script, style, noscript, template, link, meta')) el.remove();
absolute(body);
return { title: document.title, html: body.innerHTML, main: false };
})()`;
}

export async function scrapeWithBrowser(browser: BrowserSession, url: string, format: ScrapeFormat, onlyMain: boolean, signal: AbortSignal): Promise<Scraped> {
  if (signal.aborted) throw new AbortedError();
  // A scratch tab of its own: the model's current tab (browser_* tools) is left as it was.
  const page = await (await browser.context()).newPage();
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(BROWSER_TIMEOUT_MS)]);
  const stop = () => void page.close().catch(() => {});
  deadline.addEventListener('abort', stop, { once: true });
  try {
    const res = await page.goto(url, { waitUntil: 'domcontentloaded', timeout: BROWSER_TIMEOUT_MS });
    // Give scripts a moment to render the content; pages that never settle are read as they are.
    await page.waitForLoadState('load', { timeout: 5000 }).catch(() => {});
    await page.waitForLoadState('networkidle', { timeout: 2000 }).catch(() => {});
    const got = (await page.evaluate(extractionScript(onlyMain))) as Extracted;
    let content: string;
    if (format === 'html') content = got.html;
    else {
      const md = htmlToMarkdown(got.html);
      // Readability takes the title out of the article (and turns its h1s into h2s): put it back on top.
      const titled = got.main && got.title && !md.startsWith('# ') ? `# ${got.title.trim()}\n\n${md}` : md;
      content = format === 'text' ? markdownToText(titled) : titled;
    }
    const note = onlyMain && !got.main ? 'no main article was found, so this is the whole page' : undefined;
    return { title: got.title.trim(), url: page.url(), source: 'local browser', content, status: res?.status(), note };
  } catch (err) {
    if (signal.aborted) throw new AbortedError();
    if (deadline.aborted) throw new ToolError(`loading ${url} took longer than ${BROWSER_TIMEOUT_MS / 1000} s; the site may be slow or unreachable from the sandbox`);
    const msg = err instanceof Error ? err.message : String(err);
    if (/Timeout/i.test(msg)) throw new ToolError(`loading ${url} took longer than ${BROWSER_TIMEOUT_MS / 1000} s; the site may be slow or unreachable from the sandbox`);
    const net = /net::ERR_[A-Z_]+/.exec(msg)?.[0];
    if (net) throw new ToolError(`could not load ${url}: ${net}${/CONNECTION_REFUSED/.test(net) ? ' (nothing listens there; localhost is the sandbox itself)' : ''}`);
    if (/Download is starting/i.test(msg)) throw new ToolError(`${url} is a download, not a page; fetch it with shell_exec (curl -LO) instead`);
    throw new ToolError(`could not scrape ${url}: ${msg.split('\n')[0]}`);
  } finally {
    deadline.removeEventListener('abort', stop);
    await page.close().catch(() => {});
  }
}
