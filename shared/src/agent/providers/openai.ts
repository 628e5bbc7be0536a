// OpenAI Chat Completions through the `openai` SDK, for OpenAI itself and for any compatible server
// (Ollama, vLLM, LM Studio, OpenRouter) reached by base URL.

import type OpenAI from 'openai';
import type {
  ChatCompletionContentPart,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import {
  cancelledError,
  classifyHttpError,
  networkError,
  ProviderError,
  type ErrorContext,
} from '../errors.js';
import type { Message, ModelProvider, ModelRequest, ProviderChunk, StopReason, TokenUsage } from '../types.js';
import { describeCause, errorContextOf, parseToolArgs, type ProviderConfig } from './common.js';

/** The SDK's own endpoint when no base URL is set; named in error messages. */
const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

export interface OpenAIProviderConfig extends ProviderConfig {
  /** A third-party server: the key is optional and `max_tokens` is used (the one they all understand). */
  compatible: boolean;
}

export class OpenAIProvider implements ModelProvider {
  readonly id: string;
  readonly contextWindow: number;
  readonly #config: OpenAIProviderConfig;
  #client: OpenAI | undefined;

  constructor(config: OpenAIProviderConfig) {
    this.#config = config;
    this.id = config.id;
    this.contextWindow = config.contextWindow;
  }

  async *stream(request: ModelRequest, signal: AbortSignal): AsyncGenerator<ProviderChunk> {
    const ctx = errorContextOf(this.#config, DEFAULT_BASE_URL);
    const calls = new Map<number, { id: string; name: string; json: string }>();
    let usage: TokenUsage | undefined;
    let finish: string | null = null;
    try {
      const chunks = await (await this.#getClient()).chat.completions.create(this.#params(request), { signal });
      for await (const chunk of chunks) {
        if (chunk.usage) {
          const cached = chunk.usage.prompt_tokens_details?.cached_tokens ?? 0;
          usage = {
            inputTokens: chunk.usage.prompt_tokens,
            outputTokens: chunk.usage.completion_tokens,
            ...(cached ? { cacheReadTokens: cached } : {}),
          };
        }
        const choice = chunk.choices[0];
        if (!choice) continue;
        if (choice.delta?.content) yield { type: 'text', text: choice.delta.content };
        for (const delta of choice.delta?.tool_calls ?? []) {
          let call = calls.get(delta.index);
          if (!call) {
            // Some compatible servers omit the id; the loop needs one to pair the result.
            call = { id: delta.id ?? `call_${delta.index}_${Date.now().toString(36)}`, name: '', json: '' };
            calls.set(delta.index, call);
          }
          if (delta.function?.name && !call.name) call.name = delta.function.name;
          if (delta.function?.arguments) call.json += delta.function.arguments;
        }
        if (choice.finish_reason) finish = choice.finish_reason;
      }
    } catch (err) {
      throw signal.aborted ? cancelledError() : toProviderError(err, ctx);
    }
    if (signal.aborted) throw cancelledError();
    if (finish === null) throw networkError(new Error('the response stream ended without a finish_reason'), ctx);
    for (const [, call] of [...calls].sort(([a], [b]) => a - b)) {
      yield { type: 'tool_call', id: call.id, name: call.name, ...parseToolArgs(call.json) };
    }
    if (usage) yield { type: 'usage', ...usage };
    yield { type: 'stop', reason: mapFinishReason(finish) };
  }

  #params(request: ModelRequest): ChatCompletionCreateParamsStreaming {
    const tools: ChatCompletionTool[] = request.tools.map((tool) => ({
      type: 'function',
      function: { name: tool.name, description: tool.description, parameters: tool.inputSchema },
    }));
    return {
      model: this.#config.model,
      messages: toOpenAIMessages(request.system, request.messages),
      stream: true,
      stream_options: { include_usage: true },
      ...(tools.length > 0 ? { tools } : {}),
      // OpenAI's reasoning models refuse max_tokens; compatible servers often ignore max_completion_tokens.
      ...(this.#config.compatible ? { max_tokens: request.maxTokens } : { max_completion_tokens: request.maxTokens }),
    };
  }

  async #getClient(): Promise<OpenAI> {
    const { apiKey, baseURL, timeoutMs, settingNames, compatible } = this.#config;
    if (!apiKey && !compatible) {
      throw new ProviderError('auth', `${settingNames.apiKey} is missing: set it to an OpenAI API key`);
    }
    const { default: OpenAIClient } = await loadSdk();
    this.#client ??= new OpenAIClient({
      // Local servers need no key, but the SDK refuses to start without one; they ignore this value.
      apiKey: apiKey || 'no-key',
      baseURL: baseURL ?? null,
      // A third-party server must not receive the user's OpenAI organization or project ids.
      ...(compatible ? { organization: null, project: null } : {}),
      maxRetries: 0,
      timeout: timeoutMs,
    });
    return this.#client;
  }
}

// The SDK loads on the first model call, not with this module (see anthropic.ts); its error classes are only met after.
let sdk: typeof import('openai') | undefined;
const loadSdk = async () => (sdk ??= await import('openai'));

function toProviderError(err: unknown, ctx: ErrorContext): ProviderError {
  if (err instanceof ProviderError) return err;
  if (!sdk) return networkError(describeCause(err), ctx);
  if (err instanceof sdk.APIUserAbortError) return cancelledError();
  if (err instanceof sdk.APIConnectionError) return networkError(describeCause(err), ctx);
  if (err instanceof sdk.APIError) {
    const body = err.error as { message?: unknown } | undefined;
    const serverMessage = typeof body?.message === 'string' ? body.message : err.message;
    return classifyHttpError({ status: err.status, headers: err.headers, serverMessage, errorType: err.type }, ctx);
  }
  return networkError(describeCause(err), ctx);
}

function mapFinishReason(reason: string): StopReason {
  switch (reason) {
    case 'stop':
      return 'end_turn';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'length':
      return 'max_tokens';
    case 'content_filter':
      return 'refusal';
    default:
      return 'other';
  }
}

/**
 * Our user messages carry tool results; Chat Completions wants one `tool` message per result right after
 * the assistant turn, text only. Images (from tools or the user) therefore follow in one user message.
 */
export function toOpenAIMessages(system: string, messages: Message[]): ChatCompletionMessageParam[] {
  const out: ChatCompletionMessageParam[] = system ? [{ role: 'system', content: system }] : [];
  for (const message of messages) {
    if (message.role === 'assistant') {
      const text = message.content.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('');
      const toolCalls = message.content.flatMap((p) =>
        p.type === 'tool_call'
          ? [{ id: p.id, type: 'function' as const, function: { name: p.name, arguments: JSON.stringify(p.args) } }]
          : [],
      );
      out.push({ role: 'assistant', content: text || null, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) });
      continue;
    }
    const parts: ChatCompletionContentPart[] = [];
    for (const part of message.content) {
      if (part.type === 'tool_result') {
        const images = part.images ?? [];
        const note = images.length > 0 ? `\n[${images.length} image(s) follow in the next user message]` : '';
        out.push({ role: 'tool', tool_call_id: part.callId, content: (part.text || '(no output)') + note });
        if (images.length > 0) {
          parts.push({ type: 'text', text: `Image(s) returned by ${part.name} (call ${part.callId}):` });
          for (const image of images) parts.push(imageUrlPart(image.mimeType, image.data));
        }
      } else if (part.type === 'text') {
        if (part.text) parts.push({ type: 'text', text: part.text });
      } else {
        parts.push(imageUrlPart(part.mimeType, part.data));
      }
    }
    if (parts.length === 0) continue;
    // Plain strings are what every compatible server understands; parts only when there are images.
    const textOnly = parts.every((p) => p.type === 'text');
    out.push({
      role: 'user',
      content: textOnly ? parts.map((p) => (p.type === 'text' ? p.text : '')).join('\n\n') : parts,
    });
  }
  return out;
}

function imageUrlPart(mimeType: string, data: string): ChatCompletionContentPart {
  return { type: 'image_url', image_url: { url: `data:${mimeType};base64,${data}` } };
}
