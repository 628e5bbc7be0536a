// Anthropic Messages API through @anthropic-ai/sdk: streaming, native tool_use, prompt caching, token counting.

import type Anthropic from '@anthropic-ai/sdk';
import type {
  ContentBlockParam,
  ImageBlockParam,
  MessageCreateParamsStreaming,
  MessageParam,
  StopReason as AnthropicStopReason,
  TextBlockParam,
  Tool,
} from '@anthropic-ai/sdk/resources/messages';
import {
  cancelledError,
  classifyHttpError,
  networkError,
  ProviderError,
  type ErrorContext,
} from '../errors.js';
import type { Message, ModelProvider, ModelRequest, ProviderChunk, StopReason, ToolImage } from '../types.js';
import { describeCause, errorContextOf, parseToolArgs, type ProviderConfig } from './common.js';

/** The SDK's own endpoint when no base URL is set; named in error messages. */
const DEFAULT_BASE_URL = 'https://api.anthropic.com';
const EPHEMERAL = { type: 'ephemeral' } as const;
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);
type ImageMediaType = 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp';

export class AnthropicProvider implements ModelProvider {
  readonly id: string;
  readonly contextWindow: number;
  readonly #config: ProviderConfig;
  #client: Anthropic | undefined;

  constructor(config: ProviderConfig) {
    this.#config = config;
    this.id = config.id;
    this.contextWindow = config.contextWindow;
  }

  async *stream(request: ModelRequest, signal: AbortSignal): AsyncGenerator<ProviderChunk> {
    const ctx = errorContextOf(this.#config, DEFAULT_BASE_URL);
    const blocks = new Map<number, { id: string; name: string; json: string; input: unknown }>();
    const usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
    let stop: StopReason = 'other';
    let complete = false;
    try {
      const params: MessageCreateParamsStreaming = { ...toAnthropicParams(this.#config.model, request), stream: true };
      const events = await (await this.#getClient()).messages.create(params, { signal });
      for await (const event of events) {
        switch (event.type) {
          case 'message_start': {
            const u = event.message.usage;
            usage.cacheReadTokens = u.cache_read_input_tokens ?? 0;
            usage.cacheWriteTokens = u.cache_creation_input_tokens ?? 0;
            // Anthropic's input_tokens excludes cached tokens; ours counts the whole prompt.
            usage.inputTokens = u.input_tokens + usage.cacheReadTokens + usage.cacheWriteTokens;
            usage.outputTokens = u.output_tokens;
            break;
          }
          case 'content_block_start':
            if (event.content_block.type === 'tool_use') {
              const { id, name, input } = event.content_block;
              blocks.set(event.index, { id, name, json: '', input });
            } else if (event.content_block.type === 'text' && event.content_block.text) {
              yield { type: 'text', text: event.content_block.text };
            }
            break;
          case 'content_block_delta':
            if (event.delta.type === 'text_delta') yield { type: 'text', text: event.delta.text };
            else if (event.delta.type === 'input_json_delta') {
              const block = blocks.get(event.index);
              if (block) block.json += event.delta.partial_json;
            }
            break;
          case 'content_block_stop': {
            const block = blocks.get(event.index);
            if (block) {
              blocks.delete(event.index);
              // Some proxies send the whole input in content_block_start and no deltas.
              const json = block.json || (isNonEmptyObject(block.input) ? JSON.stringify(block.input) : '');
              yield { type: 'tool_call', id: block.id, name: block.name, ...parseToolArgs(json) };
            }
            break;
          }
          case 'message_delta':
            stop = mapStopReason(event.delta.stop_reason);
            usage.outputTokens = event.usage.output_tokens;
            break;
          case 'message_stop':
            complete = true;
            break;
        }
      }
    } catch (err) {
      throw signal.aborted ? cancelledError() : toProviderError(err, ctx);
    }
    // The SDK ends the iteration quietly when aborted, and a dropped connection can look the same.
    if (signal.aborted) throw cancelledError();
    if (!complete) throw networkError(new Error('the response stream ended before message_stop'), ctx);
    yield { type: 'usage', ...usage };
    yield { type: 'stop', reason: stop };
  }

  async countTokens(request: ModelRequest, signal: AbortSignal): Promise<number> {
    const { model, system, messages, tools } = toAnthropicParams(this.#config.model, request);
    try {
      const result = await (await this.#getClient()).messages.countTokens(
        { model, messages, ...(system ? { system } : {}), ...(tools ? { tools } : {}) },
        { signal },
      );
      return result.input_tokens;
    } catch (err) {
      throw signal.aborted ? cancelledError() : toProviderError(err, errorContextOf(this.#config, DEFAULT_BASE_URL));
    }
  }

  async #getClient(): Promise<Anthropic> {
    const { apiKey, baseURL, timeoutMs, settingNames } = this.#config;
    if (!apiKey) {
      throw new ProviderError('auth', `${settingNames.apiKey} is missing: set it to an Anthropic API key`);
    }
    // maxRetries 0: our retry policy is the only one (it reports waits and stops on cancel).
    const { default: AnthropicClient } = await loadSdk();
    this.#client ??= new AnthropicClient({ apiKey, baseURL: baseURL ?? null, maxRetries: 0, timeout: timeoutMs });
    return this.#client;
  }
}

// The SDK loads on the first model call, not with this module: it is most of what loading the agent costs, and a
// server without a model key never calls a model. Its error classes are only met after it has loaded.
let sdk: typeof import('@anthropic-ai/sdk') | undefined;
const loadSdk = async () => (sdk ??= await import('@anthropic-ai/sdk'));

function toProviderError(err: unknown, ctx: ErrorContext): ProviderError {
  if (err instanceof ProviderError) return err;
  if (!sdk) return networkError(describeCause(err), ctx);
  if (err instanceof sdk.APIUserAbortError) return cancelledError();
  if (err instanceof sdk.APIConnectionError) return networkError(describeCause(err), ctx);
  if (err instanceof sdk.APIError) {
    return classifyHttpError(
      { status: err.status, headers: err.headers, serverMessage: err.apiMessage ?? err.message, errorType: err.type },
      ctx,
    );
  }
  // Anything else escaped the SDK while reading the body: a reset or truncated stream.
  return networkError(describeCause(err), ctx);
}

function isNonEmptyObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && Object.keys(value).length > 0;
}

function mapStopReason(reason: AnthropicStopReason | null): StopReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'end_turn';
    case 'tool_use':
      return 'tool_use';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'max_tokens';
    case 'refusal':
      return 'refusal';
    default:
      return 'other';
  }
}

/**
 * Builds the request body. Cache breakpoints go on the system prompt, the last tool (caching every tool
 * before it) and the last message block, so each step re-reads the previous step's prefix from the cache.
 */
export function toAnthropicParams(
  model: string,
  request: ModelRequest,
): Omit<MessageCreateParamsStreaming, 'stream'> {
  const system: TextBlockParam[] | undefined = request.system
    ? [{ type: 'text', text: request.system, cache_control: EPHEMERAL }]
    : undefined;
  const tools: Tool[] = request.tools.map((tool, i) => ({
    name: tool.name,
    description: tool.description,
    input_schema: tool.inputSchema,
    ...(i === request.tools.length - 1 ? { cache_control: EPHEMERAL } : {}),
  }));
  const messages = toAnthropicMessages(request.messages);
  const last = messages[messages.length - 1];
  if (last && Array.isArray(last.content) && last.content.length > 0) {
    const block = last.content[last.content.length - 1]!;
    last.content[last.content.length - 1] = { ...block, cache_control: EPHEMERAL } as ContentBlockParam;
  }
  return {
    model,
    max_tokens: request.maxTokens,
    messages,
    ...(system ? { system } : {}),
    ...(tools.length > 0 ? { tools } : {}),
  };
}

export function toAnthropicMessages(messages: Message[]): MessageParam[] {
  const out: MessageParam[] = [];
  for (const message of messages) {
    const content: ContentBlockParam[] = [];
    for (const part of message.content) {
      switch (part.type) {
        case 'text':
          // The API rejects empty text blocks.
          if (part.text) content.push({ type: 'text', text: part.text });
          break;
        case 'image':
          content.push(imageBlock(part));
          break;
        case 'tool_call':
          content.push({ type: 'tool_use', id: part.id, name: part.name, input: part.args });
          break;
        case 'tool_result':
          content.push({
            type: 'tool_result',
            tool_use_id: part.callId,
            content: [{ type: 'text', text: part.text || '(no output)' }, ...(part.images ?? []).map(imageBlock)],
            ...(part.isError ? { is_error: true } : {}),
          });
          break;
      }
    }
    if (content.length > 0) out.push({ role: message.role, content });
  }
  return out;
}

function imageBlock(image: ToolImage): TextBlockParam | ImageBlockParam {
  if (!IMAGE_TYPES.has(image.mimeType)) {
    return { type: 'text', text: `[an image of type ${image.mimeType} was left out: the model accepts JPEG, PNG, GIF, WebP]` };
  }
  return {
    type: 'image',
    source: { type: 'base64', media_type: image.mimeType as ImageMediaType, data: image.data },
  };
}
