// Tokens, estimated cost and how full the model's context is, for the panel's toolbar: plain data and the
// words shown for it (short at any width, the whole story in the tooltip). Prices come from shared's one
// table (or the user's `suna.modelPrices`); a model without a known price gets no cost, never a guessed one.
import { costOf, type ModelPrice } from '@suna/shared/agent/pricing';
import type { TokenUsage } from '@suna/shared/agent/index';
import { formatUsage, type ContextFill, type CostEstimate, type UsageMeter } from './transcript.js';

export type { ContextFill, CostEstimate, UsageMeter };

/** Adds one model call to a conversation's cost. */
export function addCallCost(cost: CostEstimate | undefined, model: string, usage: TokenUsage, price: ModelPrice | undefined): CostEstimate {
  const next = { usd: cost?.usd ?? 0, unpriced: [...(cost?.unpriced ?? [])] };
  if (price) next.usd += costOf(usage, price);
  else if (!next.unpriced.includes(model) && next.unpriced.length < 8) next.unpriced.push(model);
  return next;
}

export function formatUsd(usd: number): string {
  if (usd === 0) return '$0.00';
  if (usd < 0.01) return '<$0.01';
  if (usd < 10) return `$${usd.toFixed(2)}`;
  return `$${usd.toFixed(1)}`;
}

/** The cost as shown: none at all while a model without a price has been used. */
export function shownCost(cost: CostEstimate | undefined): string | undefined {
  if (!cost || cost.unpriced.length) return undefined;
  return formatUsd(cost.usd);
}

export function contextRatio(c: ContextFill | undefined): number | undefined {
  if (!c || !(c.window > 0) || !Number.isFinite(c.tokens)) return undefined;
  return Math.min(1, Math.max(0, c.tokens / c.window));
}

const compact = (x: number) => (x >= 10_000 ? `${Math.round(x / 1000)}k` : x >= 1000 ? `${(x / 1000).toFixed(1)}k` : String(x));

/** What the toolbar says: `tokens` for wide panels, `narrow` for 180 px, `tooltip` with every number. */
export function meterLabels(m: UsageMeter): { tokens: string; narrow: string; tooltip: string; ratio?: number } {
  const u = m.usage;
  const cost = shownCost(m.cost);
  const ratio = contextRatio(m.context);
  const percent = ratio === undefined ? undefined : `${Math.round(ratio * 100)}%`;
  const tokens = u.steps ? `${compact(u.inputTokens)} in · ${compact(u.outputTokens)} out${cost ? ` · ${cost}` : ''}` : '';
  const narrow = [cost, percent].filter(Boolean).join(' · ') || (u.steps ? `${compact(u.inputTokens + u.outputTokens)} tok` : '');
  const lines: string[] = [];
  if (u.steps) lines.push(`This conversation: ${formatUsage(u)}`);
  if (cost) lines.push(`Estimated cost: ${cost} (list prices; set your own in suna.modelPrices)`);
  else if (m.cost?.unpriced.length) lines.push(`No cost shown: no price known for ${m.cost.unpriced.join(', ')} (add it in suna.modelPrices)`);
  if (m.context && percent) lines.push(`Context: ${m.context.tokens.toLocaleString('en-US')} of ${m.context.window.toLocaleString('en-US')} tokens (${percent}) after the last model call`);
  return { tokens, narrow, tooltip: lines.join('\n'), ...(ratio !== undefined ? { ratio } : {}) };
}
