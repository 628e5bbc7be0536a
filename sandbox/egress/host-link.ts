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

/** Connect, say hello and `request`, and call back with the host's one-line verdict (null: no usable answer) and the socket. */
function ask(offer: HostSocketOffer, request: object, done: (verdict: SocketVerdict | null, conn: Socket, after: Buffer) => void): Socket {
  const conn = createConnection({ path: offer.path, allowHalfOpen: true });
  let held = Buffer.alloc(0);
  let answered = false;
  const answer = (v: SocketVerdict | null, after = Buffer.alloc(0)) => {
    if (answered) return;
    answered = true;
    conn.off('data', onData);
    done(v, conn, after);
  };
  const onData = (chunk: Buffer) => {
    held = Buffer.concat([held, chunk]);
    const nl = held.indexOf(0x0a);
    if (nl < 0) return void (held.length > VERDICT_MAX && answer(null));
    conn.pause();
    let v: SocketVerdict | null = null;
    try {
      v = JSON.parse(held.subarray(0, nl).toString('utf8')) as SocketVerdict;
    } catch {
      /* not an answer */
    }
    answer(v && typeof v === 'object' ? v : null, held.subarray(nl + 1));
  };
  conn.on('data', onData);
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
  const pending = ask(offer, { host, port }, (v, conn, after) => {
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
    conn.pipe(client);
    client.resume();
    conn.resume();
  });
  // The client gone, at any point (even while the host is still resolving): the host's side goes too.
  client.once('close', () => pending.destroy());
}
