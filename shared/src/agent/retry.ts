// The only retry policy for model calls: the SDKs' own retries are turned off (maxRetries: 0) so that
// waits are visible as `retry` events and cancellation interrupts them.

import { cancelledError, ProviderError } from './errors.js';
import type { ModelProvider, ModelRequest, ProviderChunk } from './types.js';

export interface RetryPolicy {
  /** Total attempts, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A server may ask for minutes; waiting longer than this rarely beats failing and telling the user. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 60_000,
};

export interface RetryNotice {
  type: 'retry';
  /** 1 for the first retry. */
  attempt: number;
  delayMs: number;
  reason: string;
}

/**
 * Delay before retry number `attempt` (1-based). A server's retry-after wins (capped); otherwise
 * exponential backoff with "equal jitter": half fixed, half random, so clients that failed together
 * do not come back together.
 */
export function retryDelay(
  attempt: number,
  policy: RetryPolicy,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), policy.maxRetryAfterMs);
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exp / 2 + (random() * exp) / 2);
}

/** Resolves after `ms`, or rejects with a cancelled ProviderError as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(cancelledError());
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelledError());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Streams one model response, repeating the whole call on retryable failures (429, 5xx, network,
 * overloaded mid-stream). A failure after some chunks were yielded is retried too; the `retry`
 * notice tells the consumer to drop what it got from the failed attempt.
 */
export async function* streamWithRetry(
  provider: ModelProvider,
  request: ModelRequest,
  signal: AbortSignal,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): AsyncGenerator<ProviderChunk | RetryNotice> {
  for (let attempt = 1; ; attempt++) {
    try {
      yield* provider.stream(request, signal);
      return;
    } catch (err) {
      if (signal.aborted) throw cancelledError();
      if (!(err instanceof ProviderError) || !err.retryable || attempt >= policy.maxAttempts) throw err;
      const delayMs = retryDelay(attempt, policy, err.retryAfterMs);
      yield { type: 'retry', attempt, delayMs, reason: err.message };
      await sleep(delayMs, signal);
    }
  }
}
