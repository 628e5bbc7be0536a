// `provider:model` names → a ModelProvider. Explicit settings win over the environment.

import { ProviderError, type SettingNames } from '../errors.js';
import { registerSecret } from '../../redact.js';
import type { ModelProvider } from '../types.js';
import { AnthropicProvider } from './anthropic.js';
import { OpenAIProvider } from './openai.js';

export type ProviderName = 'anthropic' | 'openai' | 'openai-compatible';

export const DEFAULT_MODEL = 'anthropic:claude-sonnet-5-5';

/** The model used when a spec names only the provider (`openai` → `openai:gpt-5.4-nano`). */
export const DEFAULT_MODELS: Readonly<Record<'anthropic' | 'openai', string>> = {
  anthropic: 'claude-sonnet-5-5',
  openai: 'gpt-5.4-nano',
};

export interface ProviderSettings {
  apiKey?: string;
  /** For `openai-compatible`, the server's OpenAI-style root, e.g. `http://localhost:11434/v1`. */
  baseURL?: string;
  /** Overrides the table below, for models it does not know. */
  contextWindow?: number;
  timeoutMs?: number;
  /** What the host calls these settings, for error messages ("the suna.apiKey setting"). Default: env var names. */
  settingNames?: Partial<SettingNames>;
  /** Where to read fallbacks from; default `process.env`. */
  env?: Record<string, string | undefined>;
}

const ENV_NAMES: Record<ProviderName, SettingNames> = {
  anthropic: { apiKey: 'ANTHROPIC_API_KEY', baseURL: 'ANTHROPIC_BASE_URL' },
  openai: { apiKey: 'OPENAI_API_KEY', baseURL: 'OPENAI_BASE_URL' },
  'openai-compatible': { apiKey: 'OPENAI_COMPATIBLE_API_KEY', baseURL: 'OPENAI_COMPATIBLE_BASE_URL' },
};

// First match wins; families rather than every dated snapshot.
const CONTEXT_WINDOWS: Array<[RegExp, number]> = [
  [/^claude-/, 200_000],
  [/^gpt-5/, 400_000],
  [/^gpt-4\.1/, 1_047_576],
  [/^gpt-4o/, 128_000],
  [/^o[134](-|$)/, 200_000],
];

export function contextWindowFor(provider: ProviderName, model: string): number {
  for (const [pattern, window] of CONTEXT_WINDOWS) if (pattern.test(model)) return window;
  return provider === 'anthropic' ? 200_000 : 128_000;
}

/** Splits on the first colon only: Ollama model names have their own (`openai-compatible:qwen3:8b`). */
export function parseModelSpec(spec: string): { provider: ProviderName; model: string } {
  const colon = spec.indexOf(':');
  const provider = (colon < 0 ? spec : spec.slice(0, colon)).trim();
  const model = colon < 0 ? '' : spec.slice(colon + 1).trim();
  if (provider === 'anthropic' || provider === 'openai') {
    return { provider, model: model || DEFAULT_MODELS[provider] };
  }
  if (provider === 'openai-compatible' && model) return { provider, model };
  throw new ProviderError(
    'config',
    `unknown model "${spec}": use anthropic:<model>, openai:<model> or openai-compatible:<model> (with a base URL), e.g. ${DEFAULT_MODEL}`,
  );
}

export function createProvider(spec: string = DEFAULT_MODEL, settings: ProviderSettings = {}): ModelProvider {
  const { provider, model } = parseModelSpec(spec);
  const env = settings.env ?? globalThis.process?.env ?? {};
  const names = ENV_NAMES[provider];
  const settingNames: SettingNames = { ...names, ...settings.settingNames };
  let baseURL = settings.baseURL || env[names.baseURL] || undefined;
  if (provider === 'openai-compatible') {
    if (!baseURL) {
      throw new ProviderError(
        'config',
        `${spec} needs a base URL: set ${settingNames.baseURL} (e.g. http://localhost:11434/v1 for Ollama)`,
      );
    }
  }
  if (baseURL && provider !== 'anthropic') baseURL = withV1(baseURL);
  const apiKey = settings.apiKey || env[names.apiKey] || undefined;
  // Every log line and error message of the process then hides it, not only ours.
  registerSecret(apiKey);
  const config = {
    id: `${provider}:${model}`,
    model,
    apiKey,
    baseURL,
    contextWindow: settings.contextWindow ?? contextWindowFor(provider, model),
    settingNames,
    timeoutMs: settings.timeoutMs,
  };
  if (provider === 'anthropic') return new AnthropicProvider(config);
  return new OpenAIProvider({ ...config, compatible: provider === 'openai-compatible' });
}

/** The openai SDK appends `/chat/completions` to the base URL; a bare host almost always means `/v1`. */
function withV1(baseURL: string): string {
  try {
    const url = new URL(baseURL);
    if (url.pathname === '/' || url.pathname === '') return `${baseURL.replace(/\/+$/, '')}/v1`;
  } catch {
    // Not a URL: leave it for the SDK to report.
  }
  return baseURL;
}

export { AnthropicProvider } from './anthropic.js';
export { OpenAIProvider } from './openai.js';
