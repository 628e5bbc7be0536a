// List prices of the models we know, in one place: the server's cost metric and the chat panel's cost
// estimate both read this table. An estimate, not a bill; a model not in the table has no price (callers
// then show no cost rather than a wrong one), and users can override or add prices in their settings.
import type { TokenUsage } from './types.js';

/** US dollars per million tokens. Cache prices default to the input price when a provider has none. */
export interface ModelPrice {
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
}

// First match wins, on the model name without its provider; families rather than every dated snapshot.
const LIST_PRICES: Array<[RegExp, ModelPrice]> = [
  [/^claude-opus-/, { input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75 }],
  [/^claude-sonnet-/, { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 }],
  [/^claude-haiku-/, { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 }],
  [/^gpt-5[.\d]*-nano/, { input: 0.05, output: 0.4, cacheRead: 0.005 }],
  [/^gpt-5[.\d]*-mini/, { input: 0.25, output: 2, cacheRead: 0.025 }],
  [/^gpt-5(\.\d+)?$/, { input: 1.25, output: 10, cacheRead: 0.125 }],
];

function isPrice(v: unknown): v is ModelPrice {
  if (typeof v !== 'object' || v === null) return false;
  const p = v as Record<string, unknown>;
  const ok = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= 0 && x < 10_000;
  return ok(p.input) && ok(p.output) && (p.cacheRead === undefined || ok(p.cacheRead)) && (p.cacheWrite === undefined || ok(p.cacheWrite));
}

/**
 * The price of `spec` (`provider:model`): an override keyed by the full spec or by the model name first,
 * then the list. Overrides that are not prices are ignored. `openai-compatible` models (local servers,
 * other vendors) have no list price.
 */
export function priceOf(spec: string, overrides: Record<string, unknown> = {}): ModelPrice | undefined {
  const colon = spec.indexOf(':');
  const provider = colon < 0 ? spec : spec.slice(0, colon);
  const model = colon < 0 ? '' : spec.slice(colon + 1);
  for (const key of [spec, model]) if (key && Object.hasOwn(overrides, key) && isPrice(overrides[key])) return overrides[key];
  if (provider !== 'anthropic' && provider !== 'openai') return undefined;
  return LIST_PRICES.find(([re]) => re.test(model))?.[1];
}

/** Dollars for one model call. `inputTokens` counts every prompt token, cached ones included. */
export function costOf(usage: TokenUsage, price: ModelPrice): number {
  const read = usage.cacheReadTokens ?? 0;
  const write = usage.cacheWriteTokens ?? 0;
  const fresh = Math.max(0, usage.inputTokens - read - write);
  return (fresh * price.input + read * (price.cacheRead ?? price.input) + write * (price.cacheWrite ?? price.input) + usage.outputTokens * price.output) / 1e6;
}
