// TCP forwarding from a host port to a port inside the sandbox, through the sandbox daemon. It needs no published
// ports and no routable container IP, so it works the same on Linux Docker, Docker Desktop and a remote DOCKER_HOST.
// Used by the browser (CDP) and by port_expose. Where the engine is local, the daemon connects each tunnel out to
// this server's host socket and the bytes cross the kernel only (raw-tunnel.ts). Elsewhere they travel raw in binary
// frames on the daemon's exec stream both ways, unanswered, under credit flow control (tunnel-flow.ts): a client
// that stops reading, or a daemon that floods past its window, cannot grow what the host buffers.
// A tunnel may require a secret header (the browser's CDP tunnel does: otherwise any local process could
// drive the sandbox's browser); port_expose tunnels are for the user and stay open to local clients.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { DaemonEvent } from '../daemon/protocol.js';
import { TunnelReceipts, TunnelSendCredit, tunnelChunks } from '../daemon/tunnel-flow.js';
import { expectRawTunnel, joinRaw, type ExpectedTunnel } from './raw-tunnel.js';
import type { Sandbox } from './sandbox.js';

export interface TcpForward {
  /** Host port (on `host`) that reaches `sandboxPort` inside the sandbox. */
  readonly port: number;
  readonly host: string;
  readonly sandboxPort: number;
  close(): Promise<void>;
}

/** A header every connection must send in its first HTTP request (e.g. CDP's /json/version or its WebSocket upgrade). */
export interface RequiredHeader {
  name: string;
  value: string;
  /** Headers also removed from that first request (lower case), e.g. the WebSocket extensions a client offers. */
  drop?: string[];
}

/** Largest request head read before the secret is checked, and how long a client has to send it. */
const MAX_HEAD_BYTES = 16 * 1024;
const HEAD_TIMEOUT_MS = 5000;

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Read the first request head (bounded in size and time) and check `required` in it. Resolves to the bytes
 * to forward (the head without the secret header and `required.drop`, plus whatever followed it), or null: the connection is then
 * answered 403 and closed, and nothing reached the sandbox.
 */
function admit(socket: Socket, required: RequiredHeader): Promise<Buffer | null> {
  return new Promise((resolve) => {
    let buffered = Buffer.alloc(0);
    const finish = (result: Buffer | null) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
      if (!result && !socket.destroyed) socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      resolve(result);
    };
    const onClose = () => finish(null);
    const timer = setTimeout(() => finish(null), HEAD_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return void (buffered.length > MAX_HEAD_BYTES && finish(null));
      if (end > MAX_HEAD_BYTES) return finish(null);
      const lines = buffered.subarray(0, end).toString('latin1').split('\r\n');
      const wanted = required.name.toLowerCase();
      const isSecret = (line: string) => line.slice(0, line.indexOf(':')).trim().toLowerCase() === wanted;
      const secretLines = lines.filter((l, i) => i > 0 && l.includes(':') && isSecret(l));
      const ok = secretLines.length === 1 && sameSecret(secretLines[0]!.slice(secretLines[0]!.indexOf(':') + 1).trim(), required.value);
      if (!ok) return finish(null);
      const dropped = (line: string) => !!required.drop?.includes(line.slice(0, line.indexOf(':')).trim().toLowerCase());
      const head = lines.filter((l, i) => i === 0 || !(l.includes(':') && (isSecret(l) || dropped(l)))).join('\r\n');
      finish(Buffer.concat([Buffer.from(head, 'latin1'), buffered.subarray(end)]));
    };
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.on('error', () => socket.destroy());
  });
}

/** One connection through the tunnel. Bytes from the sandbox arrive as daemon events (raw binary frames). */
async function relay(sandbox: Sandbox, socket: Socket, sandboxPort: number, required?: RequiredHeader): Promise<void> {
  let first: Buffer | null = null;
  if (required) {
    first = await admit(socket, required);
    if (!first) return;
  }
  const tunnelId = `t${randomBytes(6).toString('hex')}`;
  socket.pause();
  let daemon;
  let raw: ExpectedTunnel | null = null;
  // Host → sandbox: stop reading the client while the daemon holds a window's worth unacknowledged.
  const credit = new TunnelSendCredit(socket);
  try {
    daemon = await sandbox.ensure();
    const d = daemon;
    // Sandbox → host: written to the client, acknowledged in batches; a daemon past its window loses the tunnel.
    const receipts = new TunnelReceipts(socket, (bytes) => d.notify('tunnelAck', { tunnelId, bytes }));
    const onEvent = (ev: DaemonEvent) => {
      if (!('tunnelId' in ev) || ev.tunnelId !== tunnelId) return;
      if (ev.ev === 'tunnelData') {
        if (!receipts.received(ev.data)) socket.destroy();
      } else if (ev.ev === 'tunnelAck') credit.acked(ev.bytes);
      else if (ev.ev === 'tunnelClosed') socket.end();
    };
    const onDaemonClosed = () => socket.destroy();
    daemon.on('event', onEvent);
    daemon.once('closed', onDaemonClosed);
    // Every listener goes with its connection (a browser opens many over a session).
    let joinedRaw = false;
    const cleanup = () => {
      daemon!.off('event', onEvent);
      daemon!.off('closed', onDaemonClosed);
      // A raw tunnel's end travels on its own connection, after its last bytes; a close on the stream would overtake them.
      if (!joinedRaw) daemon!.notify('tunnelClose', { tunnelId });
    };
    socket.once('close', cleanup);
    // Where the engine is local the daemon connects out to our host socket for this tunnel (raw-tunnel.ts).
    raw = expectRawTunnel(sandbox.hostSocket);
    const opened = await daemon.request('tunnelOpen', { tunnelId, port: sandboxPort, ...(raw && { hostSocket: raw.hostSocket }) }, { timeoutMs: 10_000 });
    if (opened.raw && raw) {
      daemon.off('event', onEvent); // nothing of this tunnel comes on the stream
      const conn = await raw.arrival();
      joinedRaw = true;
      return joinRaw(socket, conn, first);
    }
    raw?.cancel(); // the daemon could not reach the socket: frames on the stream, as below
  } catch {
    raw?.cancel();
    socket.destroy();
    return;
  }
  const send = (data: Buffer) => {
    let flowing = true;
    for (const chunk of tunnelChunks(data)) flowing = daemon.notify('tunnelWrite', { tunnelId }, chunk);
    credit.sent(data.length);
    // A second gate, which forged acks cannot open: the stream to the daemon itself is backed up.
    if (!flowing) {
      socket.pause();
      daemon.whenWritable(() => !credit.full && !socket.destroyed && socket.resume());
    }
  };
  if (first?.length) send(first);
  socket.on('data', send);
  socket.on('error', () => socket.destroy());
  socket.resume();
}

/**
 * Listen on `host:port` (port 0 = any free port) and forward every connection into the sandbox.
 * Refuses with a clear error when the host port is taken. With `requireHeader`, a connection is forwarded
 * only when its first HTTP request carries that header and value (which is removed before forwarding).
 */
export async function forwardPort(sandbox: Sandbox, sandboxPort: number, opts: { host?: string; port?: number; requireHeader?: RequiredHeader } = {}): Promise<TcpForward> {
  const host = opts.host ?? '127.0.0.1';
  // noDelay: a tunnel carries request/answer traffic (CDP, HTTP); Nagle would hold a small write for the peer's ACK.
  const server: Server = createServer({ noDelay: true }, (socket) => void relay(sandbox, socket, sandboxPort, opts.requireHeader));
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    host,
    sandboxPort,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A connection straight to `sandboxPort` inside the sandbox for a client in this process: the daemon's own raw
 * connection on the host socket, with no host listener and no relay hop in between (the browser's CDP uses it: a
 * forwarded port copied every CDP message once more in this process). Paused. Null where the host socket does not
 * listen or the daemon could not reach it: the caller forwards a port instead.
 */
export async function connectRaw(sandbox: Sandbox, sandboxPort: number): Promise<Socket | null> {
  const raw = expectRawTunnel(sandbox.hostSocket);
  if (!raw) return null;
  const tunnelId = `t${randomBytes(6).toString('hex')}`;
  try {
    const daemon = await sandbox.ensure();
    const opened = await daemon.request('tunnelOpen', { tunnelId, port: sandboxPort, hostSocket: raw.hostSocket }, { timeoutMs: 10_000 });
    if (opened.raw) return await raw.arrival();
    raw.cancel();
    daemon.notify('tunnelClose', { tunnelId }); // the daemon opened it on its stream instead: not this path, closed
    return null;
  } catch (err) {
    raw.cancel();
    throw err;
  }
}
