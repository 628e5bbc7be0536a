// Why: the broker reads proxied destinations on the server's event loop. A fresh buffer per socket read is external
// memory that makes V8 mark-compact the server's whole (large) heap every few dozen MiB of download; a small pool
// of reusable read buffers keeps a download from allocating at all once it is running. A buffer is given back
// only when nothing references it any more (its frame was written, or the write failed); one that is never given
// back is simply garbage-collected, so a lost callback costs memory once, never correctness.
import { MAX_PAYLOAD } from '../../egress/protocol.js';

/** Free buffers kept for reuse: a few windows' worth of reads in flight, then allocation again (bounded memory). */
const MAX_FREE = 64;

export class ReadBufferPool {
  private free: Buffer[] = [];
  /** Buffers made since the pool was created (for tests and the bench: allocation stops once a transfer runs). */
  allocated = 0;

  constructor(readonly size = MAX_PAYLOAD, private readonly maxFree = MAX_FREE) {}

  take(): Buffer {
    const reused = this.free.pop();
    if (reused) return reused;
    this.allocated++;
    return Buffer.allocUnsafeSlow(this.size);
  }

  /** Return a buffer that nothing reads or writes any more. */
  give(buf: Buffer): void {
    if (buf.length === this.size && this.free.length < this.maxFree) this.free.push(buf);
  }

  get freeCount(): number {
    return this.free.length;
  }
}
