// Egress over the host socket (host-socket.ts), where the engine runs on this machine: the relay opens one unix
// connection per proxied connection, says `egress <token>` (checked by HostSocket), then one line with the open
// request. It is judged by the same gate as a channel on the exec stream (gate.ts: same decision, log, metrics and
// status); the answer is one verdict line, and then bytes flow raw both ways through the kernel, with the sockets'
// own flow control instead of credit windows. The relay is hostile: the open line is bounded in size and time, and
// whatever it sends after it only ever reaches the destination the gate approved.
import type { connect, Socket } from 'node:net';
import { OPEN_LINE_MAX, type SocketVerdict } from '../../egress/protocol.js';
import type { EgressGate } from './gate.js';
import type { ReadBufferPool } from './read-pool.js';

const OPEN_LINE_TIMEOUT_MS = 5000;
const CONNECT_TIMEOUT_MS = 10_000;

export interface SocketEgressDeps {
  gate: EgressGate;
  connect: typeof connect;
  /** Destinations are read into pooled buffers (see broker.ts on why a fresh buffer per read is costly here). */
  pool: ReadBufferPool;
  /** Proxied connections open now (this one included), and the bound. */
  open(): number;
  max: number;
  track(socket: Socket, on: boolean): void;
}

/** The relay's report on channel 0 of which transport it uses; null when it is not one. */
export function transportReport(payload: Buffer): 'host socket' | 'exec stream' | null {
  try {
    const t = (JSON.parse(payload.toString('utf8')) as { transport?: unknown } | null)?.transport;
    return t === 'host socket' || t === 'exec stream' ? t : null;
  } catch {
    return null;
  }
}

const line = (v: SocketVerdict) => `${JSON.stringify(v)}\n`;

/** Serve one connection from the relay, after its hello. */
export function serveEgressSocket(relay: Socket, deps: SocketEgressDeps): void {
  deps.track(relay, true);
  relay.once('close', () => deps.track(relay, false));
  relay.on('error', () => relay.destroy());
  let held = Buffer.alloc(0);
  const timer = setTimeout(() => relay.destroy(), OPEN_LINE_TIMEOUT_MS);
  relay.once('close', () => clearTimeout(timer));
  const onData = (chunk: Buffer) => {
    const nl = chunk.indexOf(0x0a);
    if (nl < 0 || held.length + nl > OPEN_LINE_MAX) {
      held = Buffer.concat([held, chunk]);
      if (held.length > OPEN_LINE_MAX) relay.destroy(); // no line within the bound: dropped, nothing buffered
      return;
    }
    clearTimeout(timer);
    relay.off('data', onData);
    relay.pause();
    const text = Buffer.concat([held, chunk.subarray(0, nl)]).toString('utf8');
    const early = chunk.subarray(nl + 1);
    if (early.length) relay.unshift(early); // sent before the verdict: held until the destination is connected
    let req: unknown;
    try {
      req = JSON.parse(text);
    } catch {
      /* refused by the gate as malformed */
    }
    if (req && typeof req === 'object' && (req as { probe?: unknown }).probe === true) return void relay.end(line({ probe: 'ok' }));
    void judged(relay, req, deps);
  };
  relay.on('data', onData);
  relay.resume();
}

async function judged(relay: Socket, req: unknown, deps: SocketEgressDeps): Promise<void> {
  const v = await deps.gate.judge(req, deps.open(), deps.max, () => !relay.destroyed);
  if (!v) return void relay.destroy();
  if (!v.allowed) return void relay.end(line({ refused: v.refusal }));
  const decision = v.decision;
  let closed = 0;
  const oneClosed = () => {
    if (++closed === 2) deps.gate.finish(decision);
  };
  let connected = false;
  const onread = {
    buffer: () => deps.pool.take(),
    callback: (n: number, buf: Uint8Array): boolean => {
      const chunk = buf as Buffer;
      deps.gate.count(decision, 'down', n);
      relay.write(chunk.subarray(0, n), () => deps.pool.give(chunk));
      return !relay.writableNeedDrain; // false pauses the destination until the relay's socket drains
    },
  };
  const dest = deps.connect({ host: v.address, port: v.port, allowHalfOpen: true, timeout: CONNECT_TIMEOUT_MS, onread });
  dest.once('timeout', () => dest.destroy(new Error('connection timed out')));
  dest.on('error', (err: NodeJS.ErrnoException) => {
    if (connected || relay.destroyed) return;
    decision.why += `; connect failed: ${err.code ?? err.message}`;
    const timeout = /timed out/.test(err.message);
    relay.end(line({ refused: { status: timeout ? 504 : 502, reason: `cannot connect to ${v.address}:${v.port} (${err.code ?? err.message})` } }));
  });
  dest.once('connect', () => {
    connected = true;
    dest.setTimeout(0);
    dest.setNoDelay(true);
    relay.write(line({ opened: { address: v.address } }));
    relay.on('drain', () => dest.resume());
    relay.on('data', (chunk: Buffer) => {
      deps.gate.count(decision, 'up', chunk.length);
      if (!dest.write(chunk)) relay.pause();
    });
    dest.on('drain', () => relay.resume());
    relay.on('end', () => dest.end());
    dest.on('end', () => relay.end());
    relay.resume();
  });
  // Either side gone for good: the other follows (a half-closed relay socket first flushes what it was sent).
  dest.once('close', () => {
    if (!connected) relay.end();
    else if (relay.writableFinished || !relay.writable) relay.destroy();
    else relay.end(() => relay.destroy());
    oneClosed();
  });
  if (relay.destroyed) oneClosed();
  else relay.once('close', () => {
    dest.destroy();
    oneClosed();
  });
}
