// One error type for every provider, so retry policy and the loop never look at SDK classes.

import { redactSecrets } from '../redact.js';
import type { AgentErrorKind } from './types.js';

export type ProviderErrorKind = Extract<
  AgentErrorKind,
  'auth' | 'permission' | 'bad_request' | 'not_found' | 'rate_limit' | 'server' | 'network' | 'config' | 'cancelled'
>;

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly kind: ProviderErrorKind;
  readonly status: number | undefined;
  readonly retryable: boolean;
  /** From `retry-after` / `retry-after-ms`, uncapped; the retry policy caps it. */
  readonly retryAfterMs: number | undefined;

  constructor(
    kind: ProviderErrorKind,
    message: string,
    opts: { status?: number; retryable?: boolean; retryAfterMs?: number } = {},
  ) {
    super(message);
    this.kind = kind;
    this.status = opts.status;
    this.retryable = opts.retryable ?? false;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** Names shown to the user in error messages: env vars by default, or whatever the host calls its settings. */
export interface SettingNames {
  apiKey: string;
  baseURL: string;
}

export interface HttpErrorInfo {
  status: number | undefined;
  headers: { get(name: string): string | null } | undefined;
  /** The server's own message; may echo part of the key (OpenAI does), so it is redacted before use. */
  serverMessage: string;
  /** Provider error type from the body, e.g. `overloaded_error`. */
  errorType?: string | null;
}

export interface ErrorContext {
  providerId: string;
  model: string;
  baseURL: string;
  /** The base URL was set by the user (so it may be the thing to fix). */
  customBaseURL: boolean;
  settings: SettingNames;
  /** Values that must never appear in a message. */
  secrets: Array<string | undefined>;
}

const RETRYABLE_TYPES = new Set(['overloaded_error', 'api_error', 'rate_limit_error', 'server_error', 'timeout_error']);

/** Maps an HTTP (or mid-stream) failure to a ProviderError whose message says what to fix. */
export function classifyHttpError(info: HttpErrorInfo, ctx: ErrorContext): ProviderError {
  const { status } = info;
  const detail = scrubSecrets(info.serverMessage, ctx.secrets).slice(0, 300);
  const retryAfterMs = parseRetryAfter(info.headers);
  const checkURL = ctx.customBaseURL ? `; if the key is right, check that ${ctx.settings.baseURL} points at the intended server` : '';
  if (status === 401) {
    return new ProviderError(
      'auth',
      `${ctx.settings.apiKey} is missing or invalid (401 from ${ctx.baseURL}): set it to a valid key for ${ctx.providerId}${checkURL}. Server said: ${detail}`,
      { status },
    );
  }
  if (status === 403) {
    return new ProviderError(
      'permission',
      `the key in ${ctx.settings.apiKey} is not allowed to use ${ctx.model} (403 from ${ctx.baseURL})${checkURL}. Server said: ${detail}`,
      { status },
    );
  }
  if (status === 404) {
    return new ProviderError(
      'not_found',
      `${ctx.providerId} answered 404: check the model name "${ctx.model}" and ${ctx.settings.baseURL} (now ${ctx.baseURL}). Server said: ${detail}`,
      { status },
    );
  }
  if (status === 429) {
    return new ProviderError('rate_limit', `rate limited by ${ctx.providerId} (429): ${detail}`, {
      status,
      retryable: true,
      retryAfterMs,
    });
  }
  if (status === 408 || status === 409 || (status !== undefined && status >= 500)) {
    return new ProviderError('server', `${ctx.providerId} server error (${status}): ${detail}`, {
      status,
      retryable: true,
      retryAfterMs,
    });
  }
  if (status === undefined) {
    // A mid-stream error event: its type says whether trying again can help.
    const retryable = info.errorType != null && RETRYABLE_TYPES.has(info.errorType);
    return new ProviderError(retryable ? 'server' : 'bad_request', `${ctx.providerId} stream error: ${detail}`, {
      retryable,
    });
  }
  return new ProviderError(
    'bad_request',
    `${ctx.providerId} rejected the request (${status}): ${detail}. If this is not a model error, check ${ctx.settings.baseURL} (now ${ctx.baseURL}).`,
    { status },
  );
}

export function networkError(cause: unknown, ctx: ErrorContext): ProviderError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new ProviderError(
    'network',
    `cannot reach ${ctx.providerId} at ${ctx.baseURL} (${scrubSecrets(why, ctx.secrets)}); check ${ctx.settings.baseURL} and the network`,
    { retryable: true },
  );
}

export function cancelledError(): ProviderError {
  return new ProviderError('cancelled', 'cancelled');
}

/** Milliseconds from `retry-after-ms`, or `retry-after` as seconds or an HTTP date. */
export function parseRetryAfter(
  headers: { get(name: string): string | null } | undefined,
  now: number = Date.now(),
): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers?.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The project's one redactor (registered secrets, bearer tokens, key-shaped strings such as the masked key
 * OpenAI echoes in a 401), plus this provider's own key, registered or not.
 */
export function scrubSecrets(text: string, secrets: Array<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return redactSecrets(out);
}
