// What both SDK adapters share: resolved configuration, the context their errors are described in, and turning
// streamed argument JSON into an object.

import type { ErrorContext, SettingNames } from '../errors.js';

/** Everything a provider adapter needs, already resolved from explicit settings and the environment. */
export interface ProviderConfig {
  /** `provider:model` */
  id: string;
  model: string;
  apiKey: string | undefined;
  /** undefined: the SDK's default endpoint. */
  baseURL: string | undefined;
  contextWindow: number;
  settingNames: SettingNames;
  /** Per-request timeout handed to the SDK. */
  timeoutMs: number | undefined;
}

/** What an error message may say about this provider: where it was sent, which settings to fix, what to redact. */
export function errorContextOf(config: ProviderConfig, defaultBaseURL: string): ErrorContext {
  return {
    providerId: config.id,
    model: config.model,
    baseURL: config.baseURL ?? defaultBaseURL,
    customBaseURL: config.baseURL !== undefined,
    settings: config.settingNames,
    secrets: [config.apiKey],
  };
}

export function parseToolArgs(json: string): { args: Record<string, unknown>; argsError?: string } {
  if (json.trim() === '') return { args: {} };
  try {
    const value: unknown = JSON.parse(json);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      return { args: value as Record<string, unknown> };
    }
    return { args: {}, argsError: `arguments must be a JSON object, got: ${json.slice(0, 200)}` };
  } catch (err) {
    return { args: {}, argsError: `arguments are not valid JSON (${(err as Error).message}): ${json.slice(0, 200)}` };
  }
}

/** Errors that did not come from the SDK as an HTTP error: a dropped connection, a reset, a truncated body. */
export function describeCause(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}
