// Rate, concurrency and message-size limits: the MCP specification asks servers to rate-limit tool invocations,
// and a client that sends too much must be told the limit and what to do instead.

/** Token bucket per key (the HTTP bearer token): `perMinute` requests, bursts up to `burst`. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly perMinute: number, private readonly burst = Math.max(1, Math.ceil(perMinute / 6))) {}

  /** 0 when allowed, else the seconds to wait (for `retry-after`). */
  take(key: string, now = Date.now()): number {
    if (this.perMinute <= 0) return 0;
    const rate = this.perMinute / 60_000; // tokens per ms
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * rate);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / rate / 1000));
  }
}

/** At most `max` holders at once; waiters queue in order and leave the queue when their signal aborts. */
export class Semaphore {
  private active = 0;
  private readonly queue: Array<() => void> = [];
  constructor(readonly max: number) {}

  get inUse(): number {
    return this.active;
  }

  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.active >= this.max) {
      await new Promise<void>((resolve, reject) => {
        const go = () => {
          signal?.removeEventListener('abort', abort);
          resolve();
        };
        const abort = () => {
          const i = this.queue.indexOf(go);
          if (i >= 0) this.queue.splice(i, 1);
          reject(signal!.reason ?? new Error('cancelled'));
        };
        signal?.addEventListener('abort', abort, { once: true });
        this.queue.push(go);
      });
    } else this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next) next(); // the slot passes straight to the next waiter
      else this.active--;
    };
  }
}

/** What a client should do instead of sending one message over the size limit (stdio and HTTP say the same). */
export const OVERSIZE_ADVICE =
  'Send a big file in parts instead: file_write each part (a few MB) to its own file, then join them with ' +
  'shell_exec "cat part1 part2 … > file && rm part1 part2 …"; or start the server with a larger --max-body-bytes.';
