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
  /**
   * Channel 0 only. host → relay: JSON {path, token} of the host socket to use instead of channels (host-socket.ts);
   * relay → host: JSON {transport: 'host socket' | 'exec stream', why?}, once it has tried it.
   */
  transport: 8,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const HEADER_BYTES = 9;
/** Largest payload one frame may carry; bigger chunks are split, bigger frames are a protocol error. */
export const MAX_PAYLOAD = 64 * 1024;
/** Unacknowledged bytes a sender may have in flight per channel. */
export const WINDOW_BYTES = 4 * 1024 * 1024;
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

/** Data frames for a chunk of any size (split at MAX_PAYLOAD), as header/payload buffers to write in order (no copy). */
export function encodeData(channel: number, chunk: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  for (let at = 0; at < chunk.length; at += MAX_PAYLOAD) {
    const payload = chunk.subarray(at, at + MAX_PAYLOAD);
    parts.push(encodeFrame(FrameType.data, channel), payload);
    parts[parts.length - 2]!.writeUInt32BE(payload.length, 5);
  }
  return parts;
}

export function windowPayload(bytes: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(bytes >>> 0, 0);
  return b;
}

const KNOWN_TYPES = new Set<number>(Object.values(FrameType));

/**
 * Incremental decoder: feed it stream chunks, get whole frames. Throws ProtocolError on a malformed stream.
 * Frames inside a chunk are returned as views (no copy); a frame split across chunks is joined from its own bytes.
 * Nothing it keeps between calls refers to a chunk it was given (a held part is copied), so callers may reuse them.
 * With `streamData`, a data frame split across chunks is not joined at all: each part comes out as its own data
 * frame (a view) as soon as it arrives. The engine hands the relay its stdin in 32 KiB pieces, so nearly every
 * 64 KiB data frame is split; joining them cost a copy and an allocation per frame. Consumers of data only write
 * the bytes on, so parts are as good as frames. Nothing is ever buffered beyond one frame's header and one
 * non-data frame (≤ MAX_PAYLOAD).
 */
export class FrameDecoder {
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private headerFill = 0;
  /** The frame whose payload is arriving, if its header is complete. */
  private current: { type: FrameType; channel: number; remaining: number; parts: Buffer[]; size: number } | null = null;

  constructor(private readonly options: { streamData?: boolean } = {}) {}

  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let at = 0;
    while (at < chunk.length || (this.current && this.current.remaining === 0)) {
      const cur = this.current;
      if (!cur) {
        if (this.headerFill === 0 && chunk.length - at >= HEADER_BYTES) {
          // The common case: the whole header, and perhaps the whole frame, is in this chunk.
          const length = payloadLength(chunk, at);
          const type = chunk.readUInt8(at) as FrameType;
          const channel = chunk.readUInt32BE(at + 1);
          at += HEADER_BYTES;
          this.current = { type, channel, remaining: length, parts: [], size: 0 };
          continue;
        }
        const take = Math.min(HEADER_BYTES - this.headerFill, chunk.length - at);
        chunk.copy(this.header, this.headerFill, at, at + take);
        this.headerFill += take;
        at += take;
        if (this.headerFill < HEADER_BYTES) break;
        this.headerFill = 0;
        this.current = { type: this.header.readUInt8(0) as FrameType, channel: this.header.readUInt32BE(1), remaining: payloadLength(this.header, 0), parts: [], size: 0 };
        continue;
      }
      const take = Math.min(cur.remaining, chunk.length - at);
      const part = chunk.subarray(at, at + take);
      at += take;
      cur.remaining -= take;
      if (this.options.streamData && cur.type === FrameType.data) {
        if (take > 0) frames.push({ type: cur.type, channel: cur.channel, payload: part });
        if (cur.remaining === 0) this.current = null;
        continue;
      }
      cur.size += take;
      if (cur.remaining > 0) {
        if (take > 0) cur.parts.push(Buffer.from(part)); // held past this call: a copy, the caller may reuse `chunk`
        break;
      }
      if (take > 0) cur.parts.push(part);
      this.current = null;
      const payload = cur.parts.length === 0 ? EMPTY : cur.parts.length === 1 ? cur.parts[0]! : Buffer.concat(cur.parts, cur.size);
      frames.push({ type: cur.type, channel: cur.channel, payload });
    }
    return frames;
  }

  /** Bytes held for a frame that is not complete yet (streamed data parts are never held). */
  get pendingBytes(): number {
    return this.headerFill + (this.current?.size ?? 0);
  }
}

const EMPTY = Buffer.alloc(0);

/** The payload length in the header at `at`, after checking the type and the size limit. */
function payloadLength(buf: Buffer, at: number): number {
  const type = buf.readUInt8(at);
  const length = buf.readUInt32BE(at + 5);
  if (!KNOWN_TYPES.has(type)) throw new ProtocolError(`unknown frame type ${type}`);
  if (length > MAX_PAYLOAD) throw new ProtocolError(`frame payload of ${length} bytes exceeds ${MAX_PAYLOAD}`);
  return length;
}


/**
 * The sending side's credit for one channel. `spend` after sending data; when `blocked` the sender pauses its
 * source socket; `grant` (a window frame from the peer) may unblock it. Overshoot is bounded by one read chunk.
 */
export class SendWindow {
  private credit: number;
  constructor(private readonly size = WINDOW_BYTES, private readonly onChange: (blocked: boolean) => void = () => {}) {
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
  /** Credit back from the peer; never more than the window in total, so a peer that lies about what it consumed cannot make the sender read (and buffer) without bound. */
  grant(bytes: number): void {
    const was = this.blocked;
    this.credit = Math.min(this.credit + bytes, this.size);
    if (was && !this.blocked) this.onChange(false);
  }
}

/**
 * The receiving side's credit for one channel: bytes its socket has consumed are returned to the sender in
 * batches of a quarter window, and what is left below that after a short while (CREDIT_IDLE_MS), never one frame
 * per chunk. Every window frame is a round of the engine's exec stream in the other direction (relay write,
 * containerd-shim, dockerd, broker read), and that costs per frame, not per byte: returning credit after every
 * 32–64 KiB read doubled the frames the engine carried for a download. A quarter window keeps the sender from
 * stalling (it may still send three quarters while the credit travels), and it cannot deadlock: a blocked sender
 * has a whole window outstanding, so once the receiver consumes it, a quarter is owed and paid at once.
 */
export class CreditReturn {
  private owed = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  constructor(private readonly flush: (bytes: number) => void, private readonly batch = WINDOW_BYTES / 4) {}
  consumed(bytes: number): void {
    this.owed += bytes;
    if (this.owed >= this.batch) return this.pay();
    if (this.timer) return;
    this.timer = setTimeout(() => this.pay(), CREDIT_IDLE_MS);
    this.timer.unref?.();
  }
  private pay(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.owed === 0) return;
    const n = this.owed;
    this.owed = 0;
    this.flush(n);
  }
}

/** How long credit below a batch waits before it is returned anyway (keeps the sender's view of the window fresh). */
export const CREDIT_IDLE_MS = 20;

/** OPEN payload: where the client in the sandbox wants to go. */
export interface OpenRequest {
  host: string;
  port: number;
}
/**
 * Over the host socket, after the hello (`egress <token>\n`): the relay sends one line, the OpenRequest as JSON (or
 * {"probe":true}, answered {"probe":"ok"}), at most OPEN_LINE_MAX bytes; the host answers one line, a SocketVerdict,
 * and when opened, bytes flow raw both ways (kernel flow control, no frames, no credit).
 */
export const OPEN_LINE_MAX = 1024;
export type SocketVerdict = { opened: { address: string } } | { refused: Refusal } | { probe: 'ok' };

/** REFUSED payload: an HTTP status for the proxy's answer and a reason for the user. */
export interface Refusal {
  status: number;
  reason: string;
}

export function jsonPayload(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}
