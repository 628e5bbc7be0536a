// Credit flow control for tunnels, the same on both ends of the daemon channel. Tunnel bytes travel as binary
// frames with no answer per frame; instead each side may have at most TUNNEL_WINDOW_BYTES sent and not yet
// acknowledged per tunnel. The receiver acknowledges what it has handed on (its outgoing socket took it without
// queueing past its high-water mark) in batches of TUNNEL_ACK_BYTES, so request/answer traffic such as CDP sends
// no acks at all, and bulk traffic one small ack per 256 KiB. A sender over its window stops reading its socket
// (TCP pushes back to the writer); a receiver that gets more than the window unacknowledged is facing a peer that
// broke the contract (a hostile daemon) and drops the tunnel. Memory per tunnel is thereby bounded on both ends,
// whatever a page or a stalled reader does.

/** Bytes a sender may have in flight (sent, not acknowledged) per tunnel. */
export const TUNNEL_WINDOW_BYTES = 1024 * 1024;
/** A receiver acknowledges once this much was handed on (well under the window: the sender never waits on it). */
export const TUNNEL_ACK_BYTES = 256 * 1024;
/** The largest payload of one tunnel frame; senders split larger reads, readers refuse larger frames. */
export const TUNNEL_MAX_CHUNK_BYTES = 256 * 1024;

/** The sending half: counts bytes in flight and pauses/resumes the socket it reads from. */
export class TunnelSendCredit {
  private inFlight = 0;

  constructor(private readonly source: { pause(): unknown; resume(): unknown; destroyed?: boolean }) {}

  /** Record `bytes` as sent; stops reading when the window is full. */
  sent(bytes: number): void {
    this.inFlight += bytes;
    if (this.inFlight >= TUNNEL_WINDOW_BYTES) this.source.pause();
  }

  /** The peer handed `bytes` on; read again when the window has room. Junk counts are ignored. */
  acked(bytes: unknown): void {
    if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes <= 0) return;
    const wasFull = this.inFlight >= TUNNEL_WINDOW_BYTES;
    this.inFlight = Math.max(0, this.inFlight - bytes);
    if (wasFull && this.inFlight < TUNNEL_WINDOW_BYTES && !this.source.destroyed) this.source.resume();
  }

  get bytesInFlight(): number {
    return this.inFlight;
  }

  /** The window is used up (the source stays paused until an ack). */
  get full(): boolean {
    return this.inFlight >= TUNNEL_WINDOW_BYTES;
  }
}

/** What a receiver accepts unacknowledged: the window, plus the chunk that crossed it (and one read racing the pause). */
export const TUNNEL_RECEIVE_LIMIT_BYTES = TUNNEL_WINDOW_BYTES + 2 * TUNNEL_MAX_CHUNK_BYTES;

/** The receiving half: enforces the window on the peer and batches acknowledgements. */
export class TunnelReceipts {
  /** Received and not yet acknowledged (handed on, or still queued in the outgoing socket). */
  private unacked = 0;
  /** Handed on and not yet acknowledged. */
  private handedOn = 0;
  /** Written while the outgoing socket was over its high-water mark: handed on at its next 'drain'. */
  private queued = 0;

  constructor(
    private readonly sink: { write(b: Uint8Array): boolean; once(ev: 'drain', fn: () => void): unknown },
    private readonly ack: (bytes: number) => void,
  ) {}

  /** Write `payload` on; false when the peer sent past its window (the caller drops the tunnel; nothing written). */
  received(payload: Uint8Array): boolean {
    if (!payload.length) return true;
    if (this.unacked + payload.length > TUNNEL_RECEIVE_LIMIT_BYTES) return false;
    this.unacked += payload.length;
    const flowing = this.sink.write(payload);
    if (this.queued > 0) this.queued += payload.length;
    else if (flowing) this.handOn(payload.length);
    else {
      this.queued = payload.length;
      this.sink.once('drain', () => {
        const n = this.queued;
        this.queued = 0;
        this.handOn(n);
      });
    }
    return true;
  }

  private handOn(bytes: number): void {
    this.handedOn += bytes;
    if (this.handedOn < TUNNEL_ACK_BYTES) return;
    const n = this.handedOn;
    this.handedOn = 0;
    this.unacked -= n;
    this.ack(n);
  }
}

/** `data` cut into frame-sized pieces (no copy). */
export function tunnelChunks(data: Buffer): Buffer[] {
  if (data.length <= TUNNEL_MAX_CHUNK_BYTES) return [data];
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += TUNNEL_MAX_CHUNK_BYTES) out.push(data.subarray(at, at + TUNNEL_MAX_CHUNK_BYTES));
  return out;
}
