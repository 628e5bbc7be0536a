// Web search through Tavily, with an in-memory cache of recent answers.
//
// Environment, read on the host when a search runs (never logged, never shown to the model):
//   TAVILY_API_KEY        required; the key is sent to Tavily only.
//   TAVILY_API_URL        overrides Tavily's base URL (default https://api.tavily.com), for proxies and tests.
//   SUNA_WEB_TIMEOUT_MS   time limit of one Tavily/Firecrawl request (default 20 s for search).
//   SUNA_WEB_CACHE_TTL_MS how long an identical search is answered from the cache (default 10 min).
import Keyv from 'keyv';
import { ToolError } from '../errors.js';
import { withDeadline, webTimeoutMs } from './deadline.js';

export interface SearchArgs {
  query: string;
  max_results: number;
  topic: 'general' | 'news' | 'finance';
  time_range?: 'day' | 'week' | 'month' | 'year';
  include_answer: boolean;
}

export interface SearchHit {
  title: string;
  url: string;
  content: string;
  score: number;
}

export interface SearchOutcome {
  query: string;
  answer?: string;
  results: SearchHit[];
  cached: boolean;
}

const SEARCH_TIMEOUT_MS = 20_000;
const DEFAULT_TTL_MS = 10 * 60_000;

let cache: Keyv<Omit<SearchOutcome, 'cached'>> | undefined;

function searchCache(): Keyv<Omit<SearchOutcome, 'cached'>> {
  const ttl = Number(process.env.SUNA_WEB_CACHE_TTL_MS);
  cache ??= new Keyv({ ttl: Number.isFinite(ttl) && ttl > 0 ? ttl : DEFAULT_TTL_MS, namespace: 'web_search' });
  return cache;
}

/** Identical searches, up to case and spacing of the query, share one cache entry. */
function cacheKey(args: SearchArgs, baseUrl: string | undefined): string {
  const query = args.query.trim().replace(/\s+/g, ' ').toLowerCase();
  return JSON.stringify([baseUrl ?? '', query, args.max_results, args.topic, args.time_range ?? '', args.include_answer]);
}

/** Tavily's SDK keeps only the response's message (not its status); recognise the cases the model can act on. */
function explainTavilyError(err: unknown, timeoutMs: number): ToolError {
  if (err instanceof ToolError) return err;
  const msg = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
  if (/^401 |unauthori[sz]ed|invalid api key|api key is invalid/i.test(msg))
    return new ToolError('TAVILY_API_KEY was rejected by Tavily (401); check the key at https://app.tavily.com and restart the server with the right one');
  if (/^429 |rate limit|too many requests|excessive requests/i.test(msg))
    return new ToolError('Tavily rate limited this search (429); wait a minute before searching again, or reuse earlier results');
  if (/^43[23] |usage limit|plan'?s? (set )?limit|credits/i.test(msg)) return new ToolError(`Tavily refused the search: usage limit reached (${msg})`);
  if (/timed out|timeout/i.test(msg)) return new ToolError(`Tavily did not answer within ${Math.round(timeoutMs / 1000)} s; try again or narrow the query`);
  const net = /\b(ECONNREFUSED|ENOTFOUND|ECONNRESET|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH)\b/.exec(msg);
  if (net) return new ToolError(`could not reach the Tavily API (${net[1]}); check the host's network${process.env.TAVILY_API_URL ? ' and TAVILY_API_URL' : ''}`);
  return new ToolError(`web search failed: ${msg.replace(/^An unexpected error occurred while making the request\. Error: /, '')}`);
}

export async function searchWeb(args: SearchArgs, signal: AbortSignal): Promise<SearchOutcome> {
  const apiKey = process.env.TAVILY_API_KEY?.trim();
  if (!apiKey) throw new ToolError('set TAVILY_API_KEY in the environment of the suna-mcp server (a key from https://app.tavily.com) to use web_search; web_scrape works without it');
  const baseUrl = process.env.TAVILY_API_URL?.trim().replace(/\/+$/, '') || undefined;
  const key = cacheKey(args, baseUrl);
  const hit = await searchCache().get(key);
  if (hit) return { ...hit, cached: true };

  const timeoutMs = webTimeoutMs(SEARCH_TIMEOUT_MS);
  const { tavily } = await import('@tavily/core'); // loaded on first use: it is slow to load
  const client = tavily({ apiKey, apiBaseURL: baseUrl, clientSource: 'suna-mcp' });
  let response;
  try {
    response = await withDeadline(
      client.search(args.query, {
        maxResults: args.max_results,
        topic: args.topic,
        timeRange: args.time_range,
        includeAnswer: args.include_answer,
        timeout: timeoutMs / 1000, // seconds; the SDK aborts its own request then
      }),
      timeoutMs + 1000,
      signal,
      'Tavily search',
    );
  } catch (err) {
    throw explainTavilyError(err, timeoutMs);
  }
  const outcome = {
    query: args.query,
    ...(args.include_answer && response.answer ? { answer: response.answer } : {}),
    results: response.results.map((r) => ({ title: r.title ?? '', url: r.url ?? '', content: r.content ?? '', score: r.score ?? 0 })),
  };
  await searchCache().set(key, outcome);
  return { ...outcome, cached: false };
}
