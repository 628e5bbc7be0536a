// Why: the broker writes what the sandbox uploads to the destination socket. Every queued socket write costs the
// host an entry, a Buffer view and a callback (a few hundred bytes) whatever its size, and the relay alone decides
// how small its parts are (1-byte frames, or frames split anywhere in the exec stream). Writing each part as it came
// would let a sandbox whose destination does not read pin ~250× its credit window in host memory. While earlier
// writes are pending, parts below STAGE_BELOW are therefore copied into one staging buffer that goes out as a single
// write once it holds STAGE_BELOW bytes or the socket has caught up. At most one small write is ever queued, so a
// channel never has more than (its credit window / STAGE_BELOW) + 2 writes queued; a socket that keeps up sees no copy.
import type { Socket } from 'node:net';

export const STAGE_BELOW = 16 * 1024;

export class UploadWriter {
  /** Socket writes not completed yet. */
  pending = 0;
  private staged: Buffer | null = null;
  private stagedBytes = 0;

  /** `written(n)` runs once n bytes have left for the destination (the credit to return to the sandbox). */
  constructor(private readonly socket: Socket, private readonly written: (bytes: number) => void) {}

  /** Bytes accepted but not yet written to the kernel: queued in the socket or staged here. */
  get buffered(): number {
    return this.socket.writableLength + this.stagedBytes;
  }

  write(part: Buffer): void {
    if (part.length === 0) return;
    if (this.stagedBytes === 0 && (part.length >= STAGE_BELOW || this.pending === 0)) return this.out(part);
    if (part.length >= STAGE_BELOW) {
      this.flush();
      return this.out(part);
    }
    this.staged ??= Buffer.allocUnsafe(2 * STAGE_BELOW);
    part.copy(this.staged, this.stagedBytes);
    this.stagedBytes += part.length;
    if (this.stagedBytes >= STAGE_BELOW) this.flush();
  }

  /** Staged bytes go out now (before an end of stream). */
  flush(): void {
    const staged = this.staged;
    const n = this.stagedBytes;
    this.staged = null;
    this.stagedBytes = 0;
    if (staged && n) this.out(staged.subarray(0, n));
  }

  private out(bytes: Buffer): void {
    this.pending++;
    this.socket.write(bytes, (err) => {
      this.pending--;
      if (err || this.socket.destroyed) return;
      this.written(bytes.length);
      if (this.pending === 0 && this.stagedBytes) this.flush();
    });
  }
}
