// Web tools: search (Tavily) and scrape (Firecrawl, or keyless through the sandbox's browser + Readability).
// Keys and base URLs come from the host's environment; see web/search.ts and web/scrape.ts for the variables.
import { WORKSPACE_ROOT } from '@suna/sandbox';
import { z } from 'zod';
import { defineTool } from '../tool.js';
import { firecrawlSettings, scrapeWithBrowser, scrapeWithFirecrawl, type ScrapeFormat } from '../web/scrape.js';
import { searchWeb, type SearchOutcome } from '../web/search.js';
import { checkWebUrl } from './browser.js';

const SNIPPET_CHARS = 300;
const SCRAPE_DIR = '.suna/scrape';
const EXTENSIONS: Record<ScrapeFormat, string> = { markdown: 'md', html: 'html', text: 'txt' };

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= SNIPPET_CHARS ? flat : `${flat.slice(0, SNIPPET_CHARS - 1).replace(/\s+\S*$/, '')}…`;
}

function renderSearch(r: SearchOutcome): string {
  const lines = [`Search "${r.query}": ${r.results.length} result${r.results.length === 1 ? '' : 's'}${r.cached ? ' (cached)' : ''}`];
  if (r.answer) lines.push('', `Answer: ${r.answer.trim()}`);
  r.results.forEach((hit, i) => {
    lines.push('', `${i + 1}. ${hit.title.trim() || '(untitled)'}`, `   ${hit.url}`);
    if (hit.content.trim()) lines.push(`   ${snippet(hit.content)}`);
  });
  if (!r.results.length) lines.push('', 'No results; try other words, a wider time_range, or another topic.');
  return lines.join('\n');
}

export const webSearch = defineTool({
  name: 'web_search',
  sandboxFree: true,
  title: 'Search the web',
  kind: 'external',
  description:
    'Search the web (Tavily): numbered results with title, URL and snippet, with include_answer a short answer first. ' +
    'Read a whole page with web_scrape. Repeated searches within 10 minutes come from a cache.',
  input: z.object({
    query: z.string().trim().min(1).max(400).describe('Natural-language query'),
    max_results: z.number().int().min(1).max(20).default(5).describe('Default 5'),
    topic: z.enum(['general', 'news', 'finance']).default('general').describe('news for current events, finance for markets'),
    time_range: z.enum(['day', 'week', 'month', 'year']).optional().describe('Published within'),
    include_answer: z.boolean().default(false).describe('Also a short answer from the results'),
  }),
  output: z.object({
    query: z.string(),
    answer: z.string().optional(),
    results: z.array(z.object({ title: z.string(), url: z.string(), content: z.string(), score: z.number() })),
  }),
  async handle(args, ctx) {
    const r = await searchWeb(args, ctx.signal);
    ctx.reply.text(renderSearch(r));
    ctx.reply.structuredContent({ query: r.query, ...(r.answer ? { answer: r.answer } : {}), results: r.results });
  },
});

function savedName(finalUrl: string, fallback: URL, format: ScrapeFormat): string {
  let host = fallback.host;
  try {
    host = new URL(finalUrl).host || host;
  } catch {
    // keep the requested host
  }
  const safeHost = host.replace(/[^a-z0-9.-]+/gi, '_').slice(0, 100) || 'page';
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return `${SCRAPE_DIR}/${safeHost}-${stamp}.${EXTENSIONS[format]}`;
}

export const webScrape = defineTool({
  name: 'web_scrape',
  title: 'Read a web page',
  kind: 'external',
  description:
    "Fetch a page's main content as markdown, html or text (Firecrawl if configured, else the sandbox's browser: runs JavaScript, " +
    "sees the sandbox's localhost). Over max_chars it is cut; the whole is saved under .suna/scrape/.",
  input: z.object({
    url: z.string().min(1).max(8000).describe('http(s) URL'),
    format: z.enum(['markdown', 'html', 'text']).default('markdown'),
    only_main_content: z.boolean().default(true).describe('false: the whole page'),
    max_chars: z.number().int().min(500).max(100_000).default(20_000).describe('Inline cap'),
  }),
  async handle({ url, format, only_main_content, max_chars }, ctx) {
    const target = checkWebUrl(url);
    const page = firecrawlSettings()
      ? await scrapeWithFirecrawl(target.href, format, only_main_content, ctx.signal)
      : await scrapeWithBrowser(ctx.runtime.browser, target.href, format, only_main_content, ctx.signal);
    const savedTo = savedName(page.url, target, format);
    await ctx.fs.write(`${WORKSPACE_ROOT}/${savedTo}`, page.content);
    const header = [
      page.title || '(untitled)',
      `url: ${page.url}${page.status && page.status >= 400 ? ` (HTTP ${page.status}: the site answered with an error page)` : ''}`,
      `source: ${page.source} · ${format}${only_main_content ? ', main content' : ', whole page'} · ${page.content.length.toLocaleString('en-US')} characters · saved to ${savedTo}`,
      ...(page.note ? [`note: ${page.note}`] : []),
    ];
    ctx.reply.text(header.join('\n'));
    ctx.reply.text(page.content || '(the page has no text content)', { max: max_chars, savedTo });
    ctx.reply.structuredContent({
      url: page.url,
      title: page.title,
      source: page.source,
      format,
      chars: page.content.length,
      truncated: page.content.length > max_chars,
      saved_to: savedTo,
      ...(page.status ? { status: page.status } : {}),
    });
  },
});

export const webTools = [webSearch, webScrape];
