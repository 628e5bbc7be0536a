// Small files cost a daemon round trip each; exports and imports of folders run a few at once. The first
// failure stops new work, waits for what is in flight (so a rollback sees every file written), and is thrown.
import { AbortedError } from '@suna/sandbox';

export const EXCHANGE_CONCURRENCY = 8;

export async function eachWithLimit<T>(items: readonly T[], signal: AbortSignal, work: (item: T, index: number) => Promise<void>, limit = EXCHANGE_CONCURRENCY): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const runner = async () => {
    while (!failure && next < items.length) {
      if (signal.aborted) {
        failure = { error: new AbortedError() };
        break;
      }
      const i = next++;
      try {
        await work(items[i]!, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, runner));
  if (failure) throw failure.error;
}
