// Time limits for calls to web services whose SDKs take no AbortSignal: the call is raced against the
// request's signal (cancel → "cancelled") and a deadline (→ a ToolError that says what timed out).
import { AbortedError } from '@suna/sandbox';
import { ToolError } from '../errors.js';

/** SUNA_WEB_TIMEOUT_MS, when set, replaces the default time limit of one web API request. */
export function webTimeoutMs(fallback: number): number {
  const v = Number(process.env.SUNA_WEB_TIMEOUT_MS);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

export async function withDeadline<T>(work: Promise<T>, ms: number, signal: AbortSignal, what: string): Promise<T> {
  if (signal.aborted) throw new AbortedError();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ToolError(`${what} did not answer within ${Math.round(ms / 1000)} s; try again later`)), ms);
    onAbort = () => reject(new AbortedError());
    signal.addEventListener('abort', onAbort, { once: true });
  });
  work.catch(() => {}); // a late failure after the deadline is nobody's concern
  try {
    return await Promise.race([work, stop]);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort!);
  }
}
