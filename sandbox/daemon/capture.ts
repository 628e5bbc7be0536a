// Bounded output keeping: head + tail of a command's streams (what the host shows), the whole interleaved output
// spilled to a file once it outgrows the in-memory cap, and a background process's recent output.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StreamCapture } from './protocol.js';

const b64 = (buf: Buffer) => buf.toString('base64');

/** Keeps the first `half` and the last `half` bytes of a stream. */
export class Capture {
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  total = 0;
  constructor(private readonly half: number) {}
  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.headBytes < this.half) {
      const take = chunk.subarray(0, this.half - this.headBytes);
      this.head.push(take);
      this.headBytes += take.length;
      chunk = chunk.subarray(take.length);
    }
    if (!chunk.length) return;
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
    while (this.tailBytes - this.tail[0]!.length >= this.half) this.tailBytes -= this.tail.shift()!.length;
  }
  result(): StreamCapture {
    let tail = Buffer.concat(this.tail);
    if (tail.length > this.half) tail = tail.subarray(tail.length - this.half);
    return { head: b64(Buffer.concat(this.head)), tail: b64(tail), totalBytes: this.total };
  }
}

/** Writes the whole interleaved output to a file once it outgrows the in-memory cap (synchronous fs calls:
 *  they run on the main thread, never alongside a spawn). */
export class Spill {
  private fd: number | null = null;
  private written = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  active = false;
  constructor(private readonly file: string | undefined, private readonly threshold: number, private readonly max: number) {}
  push(chunk: Buffer): void {
    if (!this.file) return;
    if (!this.active) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes <= this.threshold) return;
      try {
        fs.mkdirSync(path.dirname(this.file), { recursive: true });
        this.fd = fs.openSync(this.file, 'w', 0o644);
        this.active = true;
      } catch {
        this.pending = [];
        return;
      }
      const all = Buffer.concat(this.pending);
      this.pending = [];
      this.write(all);
      return;
    }
    this.write(chunk);
  }
  private write(buf: Buffer): void {
    if (this.fd === null || this.written >= this.max) return;
    const part = buf.subarray(0, this.max - this.written);
    fs.writeSync(this.fd, part);
    this.written += part.length;
    if (this.written >= this.max) fs.writeSync(this.fd, Buffer.from(`\n[suna: output file capped at ${this.max} bytes]\n`));
  }
  close(): string | undefined {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.pending = [];
    return this.active ? this.file : undefined;
  }
}

/** The last `maxBytes` (at least the newest chunk) of a growing output, addressed by absolute offsets. */
export class OutputRing {
  private chunks: Buffer[] = [];
  /** Absolute offset of chunks[0]. */
  baseOffset = 0;
  totalBytes = 0;
  constructor(private readonly maxBytes: number) {}

  push(c: Buffer): void {
    this.chunks.push(c);
    this.totalBytes += c.length;
    let kept = this.totalBytes - this.baseOffset;
    while (kept > this.maxBytes && this.chunks.length > 1) {
      const dropped = this.chunks.shift()!;
      this.baseOffset += dropped.length;
      kept -= dropped.length;
    }
  }

  /** Up to `max` bytes from absolute offset `from` (clamped to what is kept), copying only those. */
  read(want: number, max: number): { data: Buffer; offset: number; droppedBytes: number } {
    const from = Math.min(Math.max(want, this.baseOffset), this.totalBytes);
    let skip = from - this.baseOffset;
    const parts: Buffer[] = [];
    let left = max;
    for (const c of this.chunks) {
      if (left <= 0) break;
      if (skip >= c.length) {
        skip -= c.length;
        continue;
      }
      const part = c.subarray(skip, skip + left);
      skip = 0;
      left -= part.length;
      parts.push(part);
    }
    return { data: Buffer.concat(parts), offset: from, droppedBytes: Math.max(0, this.baseOffset - want) };
  }
}
