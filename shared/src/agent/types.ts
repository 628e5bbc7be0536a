// Public types of the agent loop: tools, conversation, providers, events.
// The server's `agent_run` tool and the extension's chat panel code against these shapes, so they stay
// provider-neutral: nothing here mentions an SDK.

// ---------------------------------------------------------------------------------------------- tools

/** A JSON Schema describing a tool's arguments; always an object schema at the top level. */
export interface JsonSchemaObject {
  type: 'object';
  properties?: Record<string, unknown>;
  required?: string[];
  [keyword: string]: unknown;
}

export interface ToolSpec {
  name: string;
  /** Written for the model. */
  description: string;
  inputSchema: JsonSchemaObject;
  /** Read-only calls issued in one model turn may run in parallel; all others run one at a time, in order. */
  readOnly: boolean;
}

export interface ToolImage {
  /** Base64, no `data:` prefix. */
  data: string;
  mimeType: string;
}

export interface ToolResult {
  text: string;
  images?: ToolImage[];
  isError?: boolean;
}

/** How the loop sees tools: the MCP server, an MCP client, or an in-memory fake all fit behind this. */
export interface ToolHost {
  listTools(): Promise<ToolSpec[]>;
  /** Must honour `signal`: the loop aborts it on cancel and then stops waiting for the call. */
  callTool(name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<ToolResult>;
}

// ---------------------------------------------------------------------------------------- conversation

export interface TextPart {
  type: 'text';
  text: string;
}

export interface ImagePart {
  type: 'image';
  data: string;
  mimeType: string;
}

export interface ToolCallPart {
  type: 'tool_call';
  id: string;
  name: string;
  args: Record<string, unknown>;
}

export interface ToolResultPart {
  type: 'tool_result';
  /** The `id` of the ToolCallPart this answers; every call has exactly one result in the next message. */
  callId: string;
  name: string;
  text: string;
  images?: ToolImage[];
  isError?: boolean;
  /** Set when the context budget replaced the text with a head and a marker. */
  shortened?: boolean;
}

export interface UserMessage {
  role: 'user';
  /** Tool results, when present, come first (Anthropic requires it; OpenAI needs them as separate messages). */
  content: Array<TextPart | ImagePart | ToolResultPart>;
}

export interface AssistantMessage {
  role: 'assistant';
  content: Array<TextPart | ToolCallPart>;
}

export type Message = UserMessage | AssistantMessage;

// ------------------------------------------------------------------------------------------- providers

export interface ModelRequest {
  system: string;
  messages: Message[];
  tools: ToolSpec[];
  /** Cap on output tokens for this one response. */
  maxTokens: number;
}

export interface TokenUsage {
  /** Every prompt token, whether it was read from the cache, written to it, or neither. */
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
}

export type StopReason = 'end_turn' | 'tool_use' | 'max_tokens' | 'refusal' | 'other';

export type ProviderChunk =
  | { type: 'text'; text: string }
  /** A complete call; `argsError` is set (and `args` is `{}`) when the model sent arguments that are not a JSON object. */
  | { type: 'tool_call'; id: string; name: string; args: Record<string, unknown>; argsError?: string }
  | ({ type: 'usage' } & TokenUsage)
  | { type: 'stop'; reason: StopReason };

export interface ModelProvider {
  /** `provider:model`, e.g. `anthropic:claude-sonnet-5-5`. */
  readonly id: string;
  readonly contextWindow: number;
  /** Streams one model response. Throws ProviderError; aborting `signal` aborts the HTTP stream. */
  stream(request: ModelRequest, signal: AbortSignal): AsyncIterable<ProviderChunk>;
  /** Exact prompt size, where the provider has a counter. */
  countTokens?(request: ModelRequest, signal: AbortSignal): Promise<number>;
}

// -------------------------------------------------------------------------------------------- events

export type EndReason = 'final_answer' | 'max_steps' | 'cancelled' | 'max_wall_time' | 'error';

export type AgentErrorKind =
  | 'auth'
  | 'permission'
  | 'bad_request'
  | 'not_found'
  | 'rate_limit'
  | 'server'
  | 'network'
  | 'config'
  | 'cancelled'
  | 'tool_host'
  | 'invalid_request'
  | 'internal';

export interface RunTotals {
  steps: number;
  usage: TokenUsage;
}

export type AgentEvent =
  | { type: 'step_start'; step: number }
  | { type: 'text_delta'; text: string }
  | { type: 'tool_call_start'; id: string; name: string; args: Record<string, unknown> }
  | {
      type: 'tool_call_end';
      id: string;
      name: string;
      ok: boolean;
      /** One short line for a UI row. */
      summary: string;
      text: string;
      images?: ToolImage[];
      durationMs: number;
    }
  | ({ type: 'usage' } & TokenUsage)
  | { type: 'context_shortened'; shortenedResults: number }
  /** The model call failed and will be repeated: discard this step's partial text. */
  | { type: 'retry'; attempt: number; delayMs: number; reason: string }
  | ({
      type: 'end';
      reason: EndReason;
      answer?: string;
      error?: { message: string; kind: AgentErrorKind };
    } & RunTotals);

export type AgentEventOf<T extends AgentEvent['type']> = Extract<AgentEvent, { type: T }>;
