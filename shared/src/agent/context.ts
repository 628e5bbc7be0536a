// Context budget: measure the prompt, and when it nears the model's window shorten old tool results
// (the bulk of an agent's context) before anything else. Only a result's text changes, never the
// message structure, so every tool call keeps its result.

import type { Message, ModelProvider, ModelRequest, ToolResultPart } from './types.js';

export interface ContextPolicy {
  /** Shorten once the prompt exceeds this share of the window. */
  shortenAtRatio: number;
  /** …down to this share, so that the next few steps do not shorten again (and keep the cache warm). */
  targetRatio: number;
  /** The newest tool results are always kept whole. */
  keepRecentResults: number;
  /** Characters of a shortened result that are kept. */
  headChars: number;
}

export const DEFAULT_CONTEXT_POLICY: ContextPolicy = {
  shortenAtRatio: 0.75,
  targetRatio: 0.6,
  keepRecentResults: 3,
  headChars: 400,
};

// A base64 image costs about (w·h)/750 tokens; tools downscale to ≤ 1568 px, i.e. ≤ ~1600 tokens.
const IMAGE_TOKENS = 1600;
const MESSAGE_OVERHEAD_TOKENS = 4;

const charsToTokens = (chars: number) => Math.ceil(chars / 4);

function partTokens(part: Message['content'][number]): number {
  switch (part.type) {
    case 'text':
      return charsToTokens(part.text.length);
    case 'image':
      return IMAGE_TOKENS;
    case 'tool_call':
      return charsToTokens(part.name.length + JSON.stringify(part.args).length) + 10;
    case 'tool_result':
      return charsToTokens(part.text.length) + (part.images?.length ?? 0) * IMAGE_TOKENS + 10;
  }
}

export function estimateMessageTokens(message: Message): number {
  let total = MESSAGE_OVERHEAD_TOKENS;
  for (const part of message.content) total += partTokens(part);
  return total;
}

/** A chars/4 estimate of the whole prompt: good to ±20% on English and code, which is all a budget needs. */
export function estimateTokens(request: ModelRequest): number {
  let total = charsToTokens(request.system.length);
  for (const tool of request.tools) {
    total += charsToTokens(tool.name.length + tool.description.length + JSON.stringify(tool.inputSchema).length);
  }
  for (const message of request.messages) total += estimateMessageTokens(message);
  return total;
}

export function shortenedText(text: string, headChars: number): string {
  const head = text.slice(0, headChars);
  return `${head}\n[… tool output shortened to fit the context window: ${text.length - head.length} of ${text.length} characters removed. Run the tool again if you need the rest.]`;
}

/** Tool results oldest first, minus the newest `keep` and those already shortened. */
function shortenableResults(messages: Message[], keep: number): ToolResultPart[] {
  const all: ToolResultPart[] = [];
  for (const message of messages) {
    for (const part of message.content) if (part.type === 'tool_result') all.push(part);
  }
  return all.slice(0, Math.max(0, all.length - keep)).filter((part) => !part.shortened);
}

/**
 * Shortens old tool results in place, oldest first, until about `tokensToFree` estimated tokens are
 * freed. Images of a shortened result are dropped too. Returns how many results were shortened.
 */
export function shortenOldToolResults(messages: Message[], tokensToFree: number, policy: ContextPolicy): number {
  let freed = 0;
  let count = 0;
  for (const part of shortenableResults(messages, policy.keepRecentResults)) {
    if (freed >= tokensToFree) break;
    const before = partTokens(part);
    if (part.text.length > policy.headChars) part.text = shortenedText(part.text, policy.headChars);
    if (part.images?.length) {
      part.text += `\n[${part.images.length} image(s) removed to fit the context window]`;
      delete part.images;
    }
    part.shortened = true;
    const after = partTokens(part);
    if (after < before) {
      freed += before - after;
      count++;
    }
  }
  return count;
}

export interface ContextCheck {
  promptTokens: number;
  /** The chars/4 estimate of the request as it will be sent, to calibrate against the usage it reports. */
  estimate: number;
  shortenedResults: number;
}

/**
 * Measures each request and shortens old tool results when it is over budget. The estimate is calibrated
 * by the prompt size the provider reported for the previous call (free and exact), and the provider's
 * counter, which costs a round trip, is asked only when the figure is close to the threshold.
 */
export class ContextBudget {
  readonly #provider: ModelProvider;
  readonly #policy: ContextPolicy;
  /** Real tokens per estimated token, learnt from the last measurement. */
  #ratio = 1;
  #calibrated = false;

  constructor(provider: ModelProvider, policy: ContextPolicy) {
    this.#provider = provider;
    this.#policy = policy;
  }

  /** What the provider reported as the prompt size of a request whose estimate was `estimate`. */
  observe(estimate: number, promptTokens: number): void {
    if (estimate > 0 && promptTokens > 0) {
      this.#ratio = promptTokens / estimate;
      this.#calibrated = true;
    }
  }

  async fit(request: ModelRequest, signal: AbortSignal): Promise<ContextCheck> {
    const policy = this.#policy;
    const threshold = this.#provider.contextWindow * policy.shortenAtRatio;
    const estimate = estimateTokens(request);
    let tokens = Math.round(estimate * this.#ratio);
    const close = tokens > threshold * (this.#calibrated ? 0.9 : 0.5);
    if (close && this.#provider.countTokens) {
      try {
        tokens = await this.#provider.countTokens(request, signal);
        this.observe(estimate, tokens);
      } catch {
        // A failed count must not fail the run: the estimate is good enough to budget with.
        if (signal.aborted) throw signal.reason;
      }
    }
    if (tokens <= threshold) return { promptTokens: tokens, estimate, shortenedResults: 0 };
    const target = this.#provider.contextWindow * policy.targetRatio;
    const shortenedResults = shortenOldToolResults(request.messages, (tokens - target) / this.#ratio, policy);
    const after = estimateTokens(request);
    return { promptTokens: Math.round(after * this.#ratio), estimate: after, shortenedResults };
  }
}

/**
 * Makes a conversation safe to send: each tool call gets a result in the following user message
 * (a conversation saved mid-run may lack some), and results without a call are dropped.
 */
export function repairToolPairs(messages: Message[]): Message[] {
  const out: Message[] = [];
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i]!;
    if (message.role === 'user') {
      const prev = out[out.length - 1];
      const calls = new Set(
        prev?.role === 'assistant' ? prev.content.flatMap((p) => (p.type === 'tool_call' ? [p.id] : [])) : [],
      );
      const kept = message.content.filter((p) => p.type !== 'tool_result' || calls.has(p.callId));
      const content = [...kept.filter((p) => p.type === 'tool_result'), ...kept.filter((p) => p.type !== 'tool_result')];
      if (content.length > 0) out.push({ role: 'user', content });
      continue;
    }
    out.push(message);
    const calls = message.content.filter((p) => p.type === 'tool_call');
    if (calls.length === 0) continue;
    const next = messages[i + 1];
    const answered = new Set(
      next?.role === 'user' ? next.content.flatMap((p) => (p.type === 'tool_result' ? [p.callId] : [])) : [],
    );
    const missing = calls.filter((c) => !answered.has(c.id));
    if (missing.length === 0) continue;
    const stubs: ToolResultPart[] = missing.map((c) => ({
      type: 'tool_result',
      callId: c.id,
      name: c.name,
      text: 'No result: the run stopped before this call finished.',
      isError: true,
    }));
    if (next?.role === 'user') {
      messages = [...messages];
      messages[i + 1] = { role: 'user', content: [...stubs, ...next.content] };
    } else {
      out.push({ role: 'user', content: stubs });
    }
  }
  return out;
}
