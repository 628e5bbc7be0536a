// Public API of the agent loop and its model providers.

export type * from './types.js';
export { runAgent, AgentRun, type AgentRunOptions, type AgentLimits, type AgentEndEvent } from './loop.js';
export { buildSystemPrompt, type SystemPromptOptions } from './prompt.js';
export {
  DEFAULT_CONTEXT_POLICY,
  estimateTokens,
  shortenOldToolResults,
  repairToolPairs,
  type ContextPolicy,
} from './context.js';
export { DEFAULT_RETRY_POLICY, retryDelay, streamWithRetry, type RetryPolicy, type RetryNotice } from './retry.js';
export { priceOf, costOf, type ModelPrice } from './pricing.js';
export { ProviderError, parseRetryAfter, type ProviderErrorKind, type SettingNames } from './errors.js';
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
} from './providers/index.js';
