// TCP tunnels: the host reaches a port inside the sandbox. Where the engine is local the host gives a unix socket
// of its own (bind-mounted read-only at /run/suna-host) and a one-use token: the daemon connects out to it and
// pipes the port and that connection raw, so bytes cross the kernel only (no dockerd, no shim, no frames) and TCP's
// own flow control bounds what anyone buffers. Elsewhere bytes travel raw in binary frames on the daemon's stream,
// unanswered, under credit flow control (tunnel-flow.ts): what the daemon holds per tunnel is bounded whether the
// sandbox side floods or stops reading.
import * as net from 'node:net';
import { DaemonError } from './errors.js';
import { DaemonErrorCodes as E, type DaemonEvent, type DaemonOps } from './protocol.js';
import { TunnelReceipts, TunnelSendCredit, tunnelChunks } from './tunnel-flow.js';

interface OpenTunnel {
  sock: net.Socket;
  /** Sandbox → host: bytes sent to the host and not yet acknowledged. */
  credit: TunnelSendCredit;
  /** Host → sandbox: what the host sent, written to the socket, acknowledged in batches. */
  receipts: TunnelReceipts;
}

/** Where the host's sockets appear in the sandbox (sandbox/src/host-socket.ts: HOST_SOCKET_MOUNT); nothing else is dialled. */
export const HOST_SOCKET_DIR = '/run/suna-host';
const SOCKET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}$/;
const HOST_TOKEN = /^[0-9a-f]{16,128}$/;
/** How long the host's socket may take to accept before the tunnel goes over the stream instead. */
const HOST_CONNECT_MS = 3000;
/** How long a closed tunnel's sandbox side may take to read what the host sent before it is cut off. */
const LINGER_MS = 30_000;

export class Tunnels {
  private readonly byId = new Map<string, OpenTunnel>();
  /** Tunnels piped to the host's socket: both ends (their connections carry their close; the id stays taken until both went). */
  private readonly raw = new Map<string, { sock: net.Socket; host: net.Socket }>();

  constructor(
    private readonly emit: (ev: DaemonEvent) => void,
    private readonly hostSocketDir = HOST_SOCKET_DIR,
  ) {}

  async open(a: DaemonOps['tunnelOpen'][0]): Promise<{ opened: true; raw?: true }> {
    const hs = a.hostSocket;
    const inDir = (p: unknown) => typeof p === 'string' && p.startsWith(`${this.hostSocketDir}/`) && SOCKET_NAME.test(p.slice(this.hostSocketDir.length + 1));
    if (hs && (!inDir(hs.path) || typeof hs.token !== 'string' || !HOST_TOKEN.test(hs.token)))
      throw new DaemonError(E.badRequest, `hostSocket needs a socket directly in ${this.hostSocketDir} and a hex token`);
    if (this.byId.has(a.tunnelId) || this.raw.has(a.tunnelId)) throw new DaemonError(E.badRequest, 'tunnel id in use');
    const sock = await this.connectPort(a);
    if (!hs) return this.adoptFramed(a.tunnelId, sock);
    const host = await connectHost(hs.path, hs.token).catch(() => null);
    // No socket after all (removed), or it did not take the token (e.g. every slot held): the stream carries it.
    if (!host) return this.adoptFramed(a.tunnelId, sock);
    this.raw.set(a.tunnelId, { sock, host });
    // Raw both ways: pipe() pauses a side whose destination is full (the kernel pushes back to the writer).
    sock.pipe(host);
    host.pipe(sock);
    // A side that closed (or failed: it is destroyed, and then closes) lets the other flush what it already took and
    // end (pipe() ends it on a clean end too). Destroying both would drop those bytes mid-way.
    for (const [s, other] of [[sock, host], [host, sock]] as const) {
      s.on('error', () => s.destroy());
      s.once('close', () => {
        other.end();
        // Said on the stream too, so the connection that opened it forgets it (connections.ts).
        if (sock.destroyed && host.destroyed && this.raw.delete(a.tunnelId)) this.emit({ ev: 'tunnelClosed', tunnelId: a.tunnelId });
      });
    }
    return { opened: true, raw: true };
  }

  /** A TCP connection to the port in the sandbox, not yet read. */
  private connectPort(a: DaemonOps['tunnelOpen'][0]): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      // No Nagle: CDP is many small messages each way, and a delayed small write waits out the peer's delayed ACK.
      const sock = net.connect({ port: a.port, host: a.host ?? '127.0.0.1', noDelay: true });
      sock.pause();
      sock.once('connect', () => resolve(sock));
      sock.once('error', (e) => reject(new DaemonError('ECONNREFUSED', `nothing listens on port ${a.port} in the sandbox (${e.message})`)));
      sock.on('error', () => sock.destroy()); // later errors end it (an 'error' without a listener would end the daemon)
    });
  }

  /** An open connection carried as frames on the stream (its data flows from here on). */
  private adoptFramed(tunnelId: string, sock: net.Socket): { opened: true } {
    const credit = new TunnelSendCredit(sock);
    const receipts = new TunnelReceipts(sock, (bytes) => this.emit({ ev: 'tunnelAck', tunnelId, bytes }));
    this.byId.set(tunnelId, { sock, credit, receipts });
    sock.on('data', (d: Buffer) => {
      for (const chunk of tunnelChunks(d)) this.emit({ ev: 'tunnelData', tunnelId, data: chunk });
      credit.sent(d.length);
    });
    sock.once('close', () => {
      if (this.byId.delete(tunnelId)) this.emit({ ev: 'tunnelClosed', tunnelId });
    });
    sock.resume();
    return { opened: true };
  }

  /** Bytes from the host (a binary frame's payload). A host past its window loses the tunnel. */
  write(a: DaemonOps['tunnelWrite'][0], payload?: Buffer): { ok: true } {
    const t = this.byId.get(a.tunnelId);
    if (!t) throw new DaemonError(E.notFound, 'tunnel closed');
    if (!payload) throw new DaemonError(E.badRequest, 'tunnelWrite carries its bytes as a binary frame');
    if (!t.receipts.received(payload)) {
      t.sock.destroy();
      throw new DaemonError(E.badRequest, 'the host sent past its tunnel window');
    }
    return { ok: true };
  }

  /** The host handed on `bytes` of this tunnel's data: read more from the sandbox side. */
  ack(a: DaemonOps['tunnelAck'][0]): { ok: true } {
    this.byId.get(a.tunnelId)?.credit.acked(a.bytes);
    return { ok: true };
  }

  /**
   * The host's client went: what it sent (written here before this close, frames keep their order) still reaches the
   * sandbox side, then a FIN; what the sandbox sends from now is read and dropped (unread bytes would make the kernel
   * answer with a reset that throws away what is still queued), and LINGER_MS bounds a side that never reads.
   * A raw tunnel is not closed here: its end travels on its own connection, after its last bytes.
   */
  close(a: DaemonOps['tunnelClose'][0]): { ok: true } {
    const t = this.byId.get(a.tunnelId);
    if (!t) return { ok: true };
    this.byId.delete(a.tunnelId);
    const { sock } = t;
    sock.removeAllListeners('data');
    sock.resume();
    sock.end();
    const linger = setTimeout(() => sock.destroy(), LINGER_MS);
    linger.unref();
    sock.once('close', () => clearTimeout(linger));
    return { ok: true };
  }
}

/** What the host answers a hello it took: the tunnel is its from here on. */
const HOST_TOOK = 'ok\n';

/**
 * The host's unix socket, connected, the tunnel's token sent and the host's "ok" read within HOST_CONNECT_MS (paused,
 * nothing else read); or a rejection: no socket, a socket that dropped the hello, or one that said anything else.
 */
function connectHost(path: string, token: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const host = net.connect({ path });
    let heard = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      host.destroy();
      reject(new Error(why));
    };
    const timer = setTimeout(() => fail('the host socket did not take the tunnel'), HOST_CONNECT_MS);
    host.once('connect', () => host.write(`tunnel ${token}\n`));
    host.on('error', (e) => fail(e.message));
    host.once('close', () => fail('the host socket closed'));
    const onData = (d: Buffer) => {
      heard += d.toString('latin1');
      if (heard.length < HOST_TOOK.length) return;
      if (!heard.startsWith(HOST_TOOK)) return fail('the host socket said something else');
      clearTimeout(timer);
      host.off('data', onData);
      host.removeAllListeners('close');
      host.pause();
      const rest = heard.slice(HOST_TOOK.length);
      if (rest) host.unshift(Buffer.from(rest, 'latin1'));
      resolve(host);
    };
    host.on('data', onData);
  });
}
