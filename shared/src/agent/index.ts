// Public API of the agent loop and its model providers.

export type * from './types.ts';
export { runAgent, AgentRun, type AgentRunOptions, type AgentLimits, type AgentEndEvent } from './loop.ts';
export { buildSystemPrompt, type SystemPromptOptions } from './prompt.ts';
export {
  DEFAULT_CONTEXT_POLICY,
  estimateTokens,
  shortenOldToolResults,
  repairToolPairs,
  type ContextPolicy,
} from './context.ts';
export { DEFAULT_RETRY_POLICY, retryDelay, streamWithRetry, type RetryPolicy, type RetryNotice } from './retry.ts';
export { ProviderError, parseRetryAfter, type ProviderErrorKind, type SettingNames } from './errors.ts';
export {
  createProvider,
  parseModelSpec,
  contextWindowFor,
  DEFAULT_MODEL,
  DEFAULT_MODELS,
  AnthropicProvider,
  OpenAIProvider,
  type ProviderName,
  type ProviderSettings,
} from './providers/index.ts';
