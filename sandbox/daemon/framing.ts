// Framing of the daemon stream, used on both ends, with a ceiling on everything buffered.
// Lines: newline-delimited JSON; a line longer than the limit is never buffered whole; the reader is told once
// (a protocol violation) and nothing more is delivered.
// Binary frames (enabled by the reader that wants them): so bulk bytes (a sync archive host → daemon, tunnel bytes
// both ways, tunnel-flow.ts) travel raw instead of as base64 inside JSON. A frame starts where a line would, with a 0x00 byte (no JSON
// line starts with one), then two big-endian u32 lengths — a JSON header, then the raw payload — then those
// bytes. Both lengths are checked against the limits before anything is buffered (a frame claiming more than
// the limit is a protocol violation, like an over-long line), the payload is delivered only once complete (a
// frame cut short delivers nothing), and since the frame is self-delimiting a malformed header loses only its
// own frame. A reader without binary frames sees such bytes as a line of garbage.

export const BINARY_FRAME_MARK = 0x00;
const PREFIX_BYTES = 9;
const EMPTY = Buffer.alloc(0);
/** Frames up to this payload size are built as one buffer (the copy is cheaper than a second write). */
const SMALL_FRAME_BYTES = 64 * 1024;
/** The JSON header of a binary frame (id, op, args) is small; anything bigger is refused. */
export const MAX_FRAME_HEADER_BYTES = 64 * 1024;

export interface BinaryFrames {
  /** The largest payload accepted. */
  maxPayloadBytes: number;
  onFrame(header: Buffer, payload: Buffer): void;
}

/** Builds one binary frame: prefix, JSON header, payload (as separate buffers: the payload is not copied). */
export function binaryFrame(header: string, payload: Uint8Array): [Buffer, Uint8Array] | [Buffer] {
  const json = Buffer.from(header, 'utf8');
  const prefix = Buffer.alloc(PREFIX_BYTES);
  prefix[0] = BINARY_FRAME_MARK;
  prefix.writeUInt32BE(json.length, 1);
  prefix.writeUInt32BE(payload.length, 5);
  // A small frame (tunnel traffic: a CDP message) goes as one buffer: one write, one pipe message, one wake-up
  // of each process on the way (dockerd, the shim), where two writes could cost two of each.
  if (payload.length <= SMALL_FRAME_BYTES) return [Buffer.concat([prefix, json, payload])];
  return [Buffer.concat([prefix, json]), payload];
}

export class LineSplitter {
  private parts: Buffer[] = [];
  private partBytes = 0;
  private stopped = false;
  /** While a binary frame is being read: its lengths (null: reading lines, or the prefix not yet complete). */
  private frame: { headerBytes: number; payloadBytes: number } | null = null;
  private inPrefix = false;

  /** `maxBytes` is asked each time, so the host can allow more while a large answer is expected. */
  constructor(
    private readonly onLine: (line: Buffer) => void,
    private readonly maxBytes: () => number,
    private readonly onOverflow: (bytes: number, limit: number) => void,
    private readonly binary?: BinaryFrames,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (!this.stopped && start < chunk.length) {
      if (this.binary && (this.inPrefix || this.frame || (this.partBytes === 0 && chunk[start] === BINARY_FRAME_MARK))) {
        start = this.pushBinary(chunk, start);
        continue;
      }
      const nl = chunk.indexOf(0x0a, start);
      const piece = chunk.subarray(start, nl < 0 ? chunk.length : nl);
      if (this.tooLong(this.partBytes + piece.length, this.maxBytes())) return;
      if (nl < 0) {
        if (piece.length) (this.parts.push(piece), (this.partBytes += piece.length));
        return;
      }
      const line = this.take(piece);
      start = nl + 1;
      if (line.length) this.onLine(line);
    }
  }

  /** Consumes what belongs to the current binary frame from `chunk` at `start`; returns where the rest begins. */
  private pushBinary(chunk: Buffer, start: number): number {
    const binary = this.binary!;
    this.inPrefix = !this.frame;
    const need = (this.frame ? this.frame.headerBytes + this.frame.payloadBytes : PREFIX_BYTES) - this.partBytes;
    const piece = chunk.subarray(start, start + need);
    this.parts.push(piece);
    this.partBytes += piece.length;
    if (piece.length < need) return chunk.length; // more to come (memory: what was actually sent)
    let whole = this.take(EMPTY);
    if (!this.frame) {
      const headerBytes = whole.readUInt32BE(1);
      const payloadBytes = whole.readUInt32BE(5);
      this.inPrefix = false;
      if (this.tooLong(headerBytes, MAX_FRAME_HEADER_BYTES) || this.tooLong(payloadBytes, binary.maxPayloadBytes)) return chunk.length;
      this.frame = { headerBytes, payloadBytes };
      if (headerBytes + payloadBytes > 0) return start + piece.length;
      whole = EMPTY;
    }
    const { headerBytes } = this.frame;
    this.frame = null;
    binary.onFrame(whole.subarray(0, headerBytes), whole.subarray(headerBytes));
    return start + piece.length;
  }

  private take(last: Buffer): Buffer {
    const only = this.parts.length === 1 && last.length === 0 ? this.parts[0]! : null; // (a chunk is never reused)
    const whole = only ?? (this.parts.length ? Buffer.concat([...this.parts, last]) : last);
    this.parts = [];
    this.partBytes = 0;
    return whole;
  }

  private tooLong(bytes: number, limit: number): boolean {
    if (bytes <= limit) return false;
    this.stopped = true;
    this.parts = [];
    this.partBytes = 0;
    this.onOverflow(bytes, limit);
    return true;
  }
}
