// The egress relay's wire protocol, shared by the in-sandbox relay (relay.ts) and the host broker
// (sandbox/src/egress/broker.ts). Many proxied connections ("channels") share the relay's one stdin/stdout, so
// each frame names its channel, and every channel has its own credit window: a sender may only have
// WINDOW_BYTES unacknowledged bytes in flight per channel and stops reading its socket when that is used up.
// One large download therefore cannot fill the shared stream and starve the other channels.
//
// Frame: type (u8) | channel (u32 BE) | payload length (u32 BE) | payload. Pure code: no sockets, no Docker.

export const FrameType = {
  /** relay → host: open a channel; payload JSON {host, port}. */
  open: 1,
  /** host → relay: the destination is connected; payload JSON {address}. */
  opened: 2,
  /** host → relay: refused or failed; payload JSON {status, reason}. */
  refused: 3,
  data: 4,
  /** Credit: the receiver has consumed this many bytes (u32 BE) of the channel's data. */
  window: 5,
  /** The sender will send no more data on this channel (half close). */
  end: 6,
  /** The channel is gone (socket closed or failed); no more frames for it. */
  close: 7,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const HEADER_BYTES = 9;
/** Largest payload one frame may carry; bigger chunks are split, bigger frames are a protocol error. */
export const MAX_PAYLOAD = 64 * 1024;
/** Unacknowledged bytes a sender may have in flight per channel. */
export const WINDOW_BYTES = 1024 * 1024;
/** The fixed port the relay listens on inside the sandbox (127.0.0.1 only). */
export const EGRESS_PROXY_PORT = 3128;

export interface Frame {
  type: FrameType;
  channel: number;
  payload: Buffer;
}

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

export function encodeFrame(type: FrameType, channel: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  if (payload.length > MAX_PAYLOAD) throw new ProtocolError(`frame payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD}`);
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(channel >>> 0, 1);
  header.writeUInt32BE(payload.length, 5);
  return payload.length ? Buffer.concat([header, payload]) : header;
}

/** Data frames for a chunk of any size (split at MAX_PAYLOAD). */
export function encodeData(channel: number, chunk: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = 0; at < chunk.length; at += MAX_PAYLOAD) frames.push(encodeFrame(FrameType.data, channel, chunk.subarray(at, at + MAX_PAYLOAD)));
  return frames;
}

export function windowPayload(bytes: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(bytes >>> 0, 0);
  return b;
}

const KNOWN_TYPES = new Set<number>(Object.values(FrameType));

/** Incremental decoder: feed it stream chunks, get whole frames. Throws ProtocolError on a malformed stream. */
export class FrameDecoder {
  private buffered: Buffer[] = [];
  private size = 0;

  /** Bytes the next frame needs in total, once its header is known (so partial frames are not re-joined per chunk). */
  private needed = HEADER_BYTES;

  push(chunk: Buffer): Frame[] {
    this.buffered.push(chunk);
    this.size += chunk.length;
    const frames: Frame[] = [];
    if (this.size < this.needed) return frames;
    let buf = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered);
    let at = 0;
    while (buf.length - at >= HEADER_BYTES) {
      const type = buf.readUInt8(at);
      const length = buf.readUInt32BE(at + 5);
      if (!KNOWN_TYPES.has(type)) throw new ProtocolError(`unknown frame type ${type}`);
      if (length > MAX_PAYLOAD) throw new ProtocolError(`frame payload of ${length} bytes exceeds ${MAX_PAYLOAD}`);
      if (buf.length - at < HEADER_BYTES + length) {
        this.needed = HEADER_BYTES + length;
        break;
      }
      this.needed = HEADER_BYTES;
      const payload = buf.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length);
      frames.push({ type: type as FrameType, channel: buf.readUInt32BE(at + 1), payload });
      at += HEADER_BYTES + length;
    }
    buf = buf.subarray(at);
    this.buffered = buf.length ? [buf] : [];
    this.size = buf.length;
    return frames;
  }

  get pendingBytes(): number {
    return this.size;
  }
}

/**
 * The sending side's credit for one channel. `spend` after sending data; when `blocked` the sender pauses its
 * source socket; `grant` (a window frame from the peer) may unblock it. Overshoot is bounded by one read chunk.
 */
export class SendWindow {
  private credit: number;
  constructor(size = WINDOW_BYTES, private readonly onChange: (blocked: boolean) => void = () => {}) {
    this.credit = size;
  }
  get blocked(): boolean {
    return this.credit <= 0;
  }
  get available(): number {
    return this.credit;
  }
  spend(bytes: number): void {
    const was = this.blocked;
    this.credit -= bytes;
    if (!was && this.blocked) this.onChange(true);
  }
  grant(bytes: number): void {
    const was = this.blocked;
    this.credit += bytes;
    if (was && !this.blocked) this.onChange(false);
  }
}

/** OPEN payload: where the client in the sandbox wants to go. */
export interface OpenRequest {
  host: string;
  port: number;
}
/** REFUSED payload: an HTTP status for the proxy's answer and a reason for the user. */
export interface Refusal {
  status: number;
  reason: string;
}

export function jsonPayload(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}
