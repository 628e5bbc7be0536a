// The relay's side of the host socket (sandbox/src/host-socket.ts), used where the engine runs on the server's
// machine: one unix connection per proxied connection instead of a channel on the exec stream, so the bytes go
// through the kernel, not through dockerd. The host offers the socket's path and a token over the exec stream; the
// relay tries it once (a probe), and uses it only if the host answers. If it is missing or silent (Docker Desktop, a
// remote engine, an old container without the mount) or fails later, connections use the exec-stream channels.
import { createConnection, type Socket } from 'node:net';
import { OPEN_LINE_MAX, type Refusal, type SocketVerdict } from './protocol.js';

export interface HostSocketOffer {
  path: string;
  token: string;
}

const PROBE_TIMEOUT_MS = 3000;
const VERDICT_MAX = 4096;

// Downloads are read from the host socket into reusable 256 KiB buffers (one read per 256 KiB instead of a fresh
// 64 KiB buffer per read): a buffer goes back once the client's socket has taken it (its write callback).
const READ_BYTES = 256 * 1024;
const freeReads: Buffer[] = [];
const takeRead = () => freeReads.pop() ?? Buffer.allocUnsafeSlow(READ_BYTES);
const giveRead = (buf: Buffer) => void (freeReads.length < 16 && freeReads.push(buf));

/** Where a connection's reads go: the verdict parser first, then the client (false: pause reading). */
type Sink = (chunk: Buffer, buf: Buffer) => boolean;

/**
 * Connect, say hello and `request`, and call back with the host's one-line verdict (null: no usable answer), the
 * socket (paused), bytes after the verdict, and `route(sink)` to send further reads to `sink`.
 */
function ask(offer: HostSocketOffer, request: object, done: (verdict: SocketVerdict | null, conn: Socket, after: Buffer, route: (sink: Sink) => void) => void): Socket {
  let held = Buffer.alloc(0);
  let answered = false;
  const answer = (v: SocketVerdict | null, after = Buffer.alloc(0)) => {
    if (answered) return;
    answered = true;
    done(v, conn, after, (next) => (sink = next));
  };
  let sink: Sink = (chunk, buf) => {
    held = Buffer.concat([held, chunk]); // a copy: `buf` goes back at once
    giveRead(buf);
    const nl = held.indexOf(0x0a);
    if (nl < 0) {
      if (held.length > VERDICT_MAX) answer(null);
      return !answered;
    }
    let v: SocketVerdict | null = null;
    try {
      v = JSON.parse(held.subarray(0, nl).toString('utf8')) as SocketVerdict;
    } catch {
      /* not an answer */
    }
    sink = () => false; // nothing more until routed
    answer(v && typeof v === 'object' ? v : null, held.subarray(nl + 1));
    return false;
  };
  const conn = createConnection({
    path: offer.path,
    allowHalfOpen: true,
    onread: { buffer: takeRead, callback: (n: number, buf: Uint8Array) => sink((buf as Buffer).subarray(0, n), buf as Buffer) },
  });
  conn.on('error', () => answer(null));
  conn.on('close', () => answer(null));
  conn.on('connect', () => {
    const line = JSON.stringify(request);
    if (line.length > OPEN_LINE_MAX) return answer(null);
    conn.write(`egress ${offer.token}\n${line}\n`);
  });
  return conn;
}

/** Try the offered socket; `report` says which transport the relay will use. */
export function probeHostSocket(offer: HostSocketOffer, report: (usable: boolean, why?: string) => void): void {
  if (typeof offer?.path !== 'string' || typeof offer.token !== 'string') return report(false, 'malformed offer');
  const conn = ask(offer, { probe: true }, (v, c) => {
    clearTimeout(timer);
    c.destroy();
    const ok = !!v && 'probe' in v && v.probe === 'ok';
    report(ok, ok ? undefined : 'no answer on the host socket');
  });
  const timer = setTimeout(() => conn.destroy(), PROBE_TIMEOUT_MS);
}

/**
 * Open `host:port` over the host socket for `client` (paused). On "opened": `begin` writes the proxy's answer and
 * the first bytes, then both sockets are piped. On "refused": `refuse`. No usable answer: `fallback` (exec stream).
 */
export function openOverHostSocket(
  offer: HostSocketOffer,
  client: Socket,
  host: string,
  port: number,
  begin: (sendUp: (bytes: Buffer) => void) => void,
  refuse: (r: Refusal) => void,
  fallback: () => void,
): void {
  const pending = ask(offer, { host, port }, (v, conn, after, route) => {
    if (client.destroyed) return void conn.destroy();
    if (!v || !('opened' in v || 'refused' in v)) {
      conn.destroy();
      return fallback();
    }
    if ('refused' in v) {
      conn.destroy();
      return refuse(v.refused);
    }
    conn.on('error', () => client.destroy());
    conn.on('close', () => (client.writableFinished ? client.destroy() : client.end(() => client.destroy())));
    begin((bytes) => conn.write(bytes));
    if (after.length) client.write(after);
    client.pipe(conn);
    // Host → client: each read written on, its buffer back when the client's socket has taken it; reading pauses
    // while the client's socket is over its high-water mark.
    route((chunk, buf) => {
      client.write(chunk, () => giveRead(buf));
      return !client.writableNeedDrain;
    });
    client.on('drain', () => conn.resume());
    conn.on('end', () => client.end());
    client.resume();
    conn.resume();
  });
  // The client gone, at any point (even while the host is still resolving): the host's side goes too.
  client.once('close', () => pending.destroy());
}
