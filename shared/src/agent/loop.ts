// The agent loop: ask the model, run the tools it calls, repeat until it answers, a limit is hit, the
// caller cancels, or something fails for good. Every run yields exactly one `end` event.

import { ContextBudget, DEFAULT_CONTEXT_POLICY, repairToolPairs, type ContextPolicy } from './context.js';
import { ProviderError } from './errors.js';
import { buildSystemPrompt } from './prompt.js';
import { DEFAULT_RETRY_POLICY, streamWithRetry, type RetryPolicy } from './retry.js';
import {
  cancelledResult,
  executeToolCall,
  planBatches,
  summarizeResult,
  type ToolCallOutcome,
  type ToolCallRequest,
} from './tools.js';
import type {
  AgentEvent,
  AgentEventOf,
  AssistantMessage,
  EndReason,
  Message,
  ModelProvider,
  ModelRequest,
  StopReason,
  TokenUsage,
  ToolHost,
  ToolResultPart,
  ToolSpec,
} from './types.js';

export interface AgentLimits {
  /** Model calls; each step is one call plus the tools it asked for. */
  maxSteps: number;
  /** Output tokens per model response. Default 8192. */
  maxTokens?: number;
  /** Wall-clock budget for the whole run. */
  maxWallMs?: number;
}

export interface AgentRunOptions {
  /** A new user message; appended to `messages` when both are given. */
  task?: string;
  /** A conversation to continue (it is copied, never mutated). */
  messages?: Message[];
  /** Default: buildSystemPrompt({ tools }). */
  systemPrompt?: string;
  tools: ToolHost;
  provider: ModelProvider;
  limits: AgentLimits;
  signal?: AbortSignal;
  retry?: Partial<RetryPolicy>;
  context?: Partial<ContextPolicy>;
}

export type AgentEndEvent = AgentEventOf<'end'>;

const DEFAULT_MAX_TOKENS = 8192;

/**
 * One run. Iterate it once for the events; `messages` is the conversation as sent to the model (old tool
 * results possibly shortened), complete once the `end` event has been yielded, ready to persist or continue.
 */
export class AgentRun implements AsyncIterable<AgentEvent> {
  readonly messages: Message[];
  readonly #events: AsyncGenerator<AgentEvent>;
  #iterated = false;

  constructor(options: AgentRunOptions) {
    this.messages = repairToolPairs(structuredClone(options.messages ?? []));
    if (options.task) {
      // Joined to a trailing user message (e.g. the tool results of a stopped run) to keep turns alternating.
      const last = this.messages[this.messages.length - 1];
      const part = { type: 'text' as const, text: options.task };
      if (last?.role === 'user') last.content.push(part);
      else this.messages.push({ role: 'user', content: [part] });
    }
    this.#events = agentEvents(options, this.messages);
  }

  [Symbol.asyncIterator](): AsyncIterator<AgentEvent> {
    if (this.#iterated) throw new Error('an AgentRun can be iterated only once');
    this.#iterated = true;
    return this.#events;
  }

  /** Runs to the end, ignoring intermediate events. */
  async result(): Promise<AgentEndEvent> {
    for await (const event of this) if (event.type === 'end') return event;
    throw new Error('the run ended without an end event');
  }
}

export function runAgent(options: AgentRunOptions): AgentRun {
  return new AgentRun(options);
}

/** Thrown by `untilStopped` when the run is cancelled or out of time; never escapes the loop. */
class Stopped extends Error {}

/** The caller's signal and the wall-clock limit, folded into one signal handed to providers and tools. */
class RunStop {
  readonly #controller = new AbortController();
  readonly #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #onAbort = () => this.stop('cancelled');
  readonly #outer: AbortSignal | undefined;
  reason: 'cancelled' | 'max_wall_time' | undefined;

  constructor(outer: AbortSignal | undefined, maxWallMs: number | undefined) {
    this.#outer = outer;
    if (outer?.aborted) this.stop('cancelled');
    outer?.addEventListener('abort', this.#onAbort, { once: true });
    if (maxWallMs !== undefined) this.#timer = setTimeout(() => this.stop('max_wall_time'), maxWallMs);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  stop(reason: 'cancelled' | 'max_wall_time'): void {
    this.reason ??= reason;
    this.#controller.abort(new Stopped(reason));
  }

  /** Called when the run ends, however it ends: anything still running (a tool after a break) is aborted. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#outer?.removeEventListener('abort', this.#onAbort);
    if (!this.#controller.signal.aborted) this.#controller.abort(new Stopped('cancelled'));
  }
}

/** Waits for `promise`, but gives up as soon as `signal` aborts: a tool that ignores its signal cannot hold the run. */
function untilStopped<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Stopped());
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

interface Turn {
  text: string;
  calls: ToolCallRequest[];
  stop: StopReason;
  /** The prompt size the provider reported, when it did. */
  promptTokens?: number;
}

async function* agentEvents(options: AgentRunOptions, messages: Message[]): AsyncGenerator<AgentEvent> {
  const stop = new RunStop(options.signal, options.limits.maxWallMs);
  const retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const budget = new ContextBudget(options.provider, { ...DEFAULT_CONTEXT_POLICY, ...options.context });
  const usage: Required<TokenUsage> = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  let steps = 0;
  const end = (reason: EndReason, extra: Partial<AgentEndEvent> = {}): AgentEndEvent => ({
    type: 'end',
    reason,
    ...extra,
    steps,
    usage: { ...usage },
  });
  // Text streamed in the current step, kept if the run stops mid-stream (the user saw it).
  const partial = { text: '' };
  let specs: ToolSpec[] | undefined;

  try {
    if (messages[messages.length - 1]?.role !== 'user') {
      yield end('error', { error: { kind: 'invalid_request', message: 'nothing to answer: give a task, or messages ending with a user message' } });
      return;
    }
    try {
      specs = await untilStopped(options.tools.listTools(), stop.signal);
    } catch (err) {
      if (err instanceof Stopped || stop.reason) throw err;
      const message = `could not list tools: ${err instanceof Error ? err.message : String(err)}`;
      yield end('error', { error: { kind: 'tool_host', message } });
      return;
    }
    const specByName = new Map(specs.map((s) => [s.name, s]));
    const system = options.systemPrompt ?? buildSystemPrompt({ tools: specs });

    for (let step = 1; step <= options.limits.maxSteps; step++) {
      steps = step;
      yield { type: 'step_start', step };
      const request: ModelRequest = {
        system,
        messages,
        tools: specs,
        maxTokens: options.limits.maxTokens ?? DEFAULT_MAX_TOKENS,
      };
      const fit = await untilStopped(budget.fit(request, stop.signal), stop.signal);
      if (fit.shortenedResults > 0) yield { type: 'context_shortened', shortenedResults: fit.shortenedResults };

      partial.text = '';
      const turn = yield* modelTurn(options.provider, request, stop.signal, retry, usage, partial);
      partial.text = '';
      if (turn.promptTokens) budget.observe(fit.estimate, turn.promptTokens);
      const assistant: AssistantMessage = {
        role: 'assistant',
        content: [
          ...(turn.text ? [{ type: 'text' as const, text: turn.text }] : []),
          ...turn.calls.map((c) => ({ type: 'tool_call' as const, id: c.id, name: c.name, args: c.args })),
        ],
      };
      if (assistant.content.length > 0) messages.push(assistant);
      if (turn.calls.length === 0) {
        yield end('final_answer', { answer: turn.text });
        return;
      }

      const results: ToolResultPart[] = [];
      try {
        yield* runTools(turn.calls, options.tools, specByName, stop.signal, results);
      } finally {
        // Results stay paired with their calls even when the run stops mid-tool.
        for (const call of turn.calls.slice(results.length)) results.push(cancelledResult(call));
        messages.push({ role: 'user', content: results });
      }
    }
    yield end('max_steps');
  } catch (err) {
    if (stop.reason || err instanceof Stopped) {
      if (partial.text) messages.push({ role: 'assistant', content: [{ type: 'text', text: partial.text }] });
      yield end(stop.reason ?? 'cancelled');
    } else if (err instanceof ProviderError) {
      yield end('error', { error: { kind: err.kind, message: err.message } });
    } else {
      yield end('error', { error: { kind: 'internal', message: err instanceof Error ? err.message : String(err) } });
    }
  } finally {
    stop.dispose();
  }
}

/** Streams one model response (with retries), yielding text, usage and retry events. */
async function* modelTurn(
  provider: ModelProvider,
  request: ModelRequest,
  signal: AbortSignal,
  retry: RetryPolicy,
  totals: Required<TokenUsage>,
  partial: { text: string },
): AsyncGenerator<AgentEvent, Turn> {
  const turn: Turn = { text: '', calls: [], stop: 'other' };
  const chunks = streamWithRetry(provider, request, signal, retry);
  let finished = false;
  try {
    for (;;) {
      const next = await untilStopped(chunks.next(), signal);
      if (next.done) break;
      const chunk = next.value;
      switch (chunk.type) {
        case 'text':
          turn.text += chunk.text;
          partial.text = turn.text;
          yield { type: 'text_delta', text: chunk.text };
          break;
        case 'tool_call':
          turn.calls.push({ id: chunk.id, name: chunk.name, args: chunk.args, argsError: chunk.argsError });
          break;
        case 'usage': {
          const { type: _, ...u } = chunk;
          totals.inputTokens += u.inputTokens;
          totals.outputTokens += u.outputTokens;
          totals.cacheReadTokens += u.cacheReadTokens ?? 0;
          totals.cacheWriteTokens += u.cacheWriteTokens ?? 0;
          turn.promptTokens = u.inputTokens;
          yield { type: 'usage', ...u };
          break;
        }
        case 'stop':
          turn.stop = chunk.reason;
          break;
        case 'retry':
          // The failed attempt's output is void; the consumer was told by this event.
          turn.text = '';
          turn.calls = [];
          partial.text = '';
          yield chunk;
          break;
      }
    }
    finished = true;
  } finally {
    // Stopped while a chunk was pending: close the stream without waiting (the signal aborts its HTTP request).
    if (!finished) chunks.return(undefined).catch(() => {});
  }
  return turn;
}

/** Runs the calls batch by batch, pushing each result into `results` in the calls' original order. */
async function* runTools(
  calls: ToolCallRequest[],
  host: ToolHost,
  specs: ReadonlyMap<string, ToolSpec>,
  signal: AbortSignal,
  results: ToolResultPart[],
): AsyncGenerator<AgentEvent> {
  for (const batch of planBatches(calls, specs)) {
    for (const call of batch) yield { type: 'tool_call_start', id: call.id, name: call.name, args: call.args };
    const outcomes: ToolCallOutcome[] = await untilStopped(
      Promise.all(batch.map((call) => executeToolCall(call, host, specs, signal))),
      signal,
    );
    for (const [i, outcome] of outcomes.entries()) {
      const { result } = outcome;
      results.push(result);
      yield {
        type: 'tool_call_end',
        id: batch[i]!.id,
        name: batch[i]!.name,
        ok: outcome.ok,
        summary: summarizeResult(result),
        text: result.text,
        ...(result.images ? { images: result.images } : {}),
        durationMs: outcome.durationMs,
      };
    }
  }
}
