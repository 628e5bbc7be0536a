// The in-sandbox egress relay. The sandbox runs with `--network none`, so this HTTP proxy on 127.0.0.1 is its
// only way out: it accepts CONNECT (HTTPS, any TLS) and absolute-URI requests (plain HTTP), and forwards each
// connection to the broker on the host, which resolves the name, decides the policy on the resolved address and
// makes the connection (sandbox/src/egress/). Where the host offers its unix socket (the engine is local; see
// host-link.ts) each connection is its own unix connection and bytes flow raw through the kernel; otherwise, or if
// the socket does not answer, each is a channel over the relay's own stdin/stdout. The relay decides nothing
// and knows no secrets; it is started by the host as its own `docker exec` as uid 65534 (nobody), so the agent's
// processes (uid 1000) can neither signal nor ptrace it. Bundled by esbuild into sandbox/dist/egress-relay.cjs.
import { createServer, Socket } from 'node:net';
import { openOverHostSocket, probeHostSocket, type HostSocketOffer } from './host-link.js';
import {
  CreditReturn,
  EGRESS_PROXY_PORT,
  encodeData,
  encodeFrame,
  FrameDecoder,
  FrameType,
  jsonPayload,
  SendWindow,
  windowPayload,
  type Frame,
  type Refusal,
} from './protocol.js';

const MAX_HEAD_BYTES = 16 * 1024;
const out = new Socket({ fd: 1, readable: false }); // async writes even though stdout is a pipe
out.on('error', () => process.exit(0)); // the host went away
const send = (frame: Buffer) => out.write(frame);

interface Channel {
  socket: Socket;
  window: SendWindow;
  /** Bytes to send once the host says the destination is connected (the rewritten request, or early data). */
  onOpened: (address: string) => void;
  onRefused: (r: Refusal) => void;
  opened: boolean;
  remoteEnded: boolean;
  credit: CreditReturn;
}

const channels = new Map<number, Channel>();
let nextChannel = 1;
/** The host socket, once the host offered it and it answered (host-link.ts); null: every connection is a channel. */
let hostSocket: HostSocketOffer | null = null;

function tryHostSocket(offer: HostSocketOffer): void {
  probeHostSocket(offer, (usable, why) => {
    hostSocket = usable ? offer : null;
    send(encodeFrame(FrameType.transport, 0, jsonPayload({ transport: usable ? 'host socket' : 'exec stream', why })));
  });
}

function reply(socket: Socket, status: number, reason: string): void {
  const text = { 400: 'Bad Request', 403: 'Forbidden', 431: 'Request Header Fields Too Large', 502: 'Bad Gateway', 504: 'Gateway Timeout' }[status] ?? 'Error';
  const body = `suna egress: ${reason}\n`;
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Suna-Egress: denied\r\nConnection: close\r\n\r\n${body}`);
}

/** Parse "host:port" of CONNECT, or an absolute http:// URI; IPv6 literals come in brackets. */
function target(method: string, uri: string): { host: string; port: number; path?: string } | string {
  if (method === 'CONNECT') {
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:/\s]+)):(\d{1,5})$/.exec(uri);
    return m ? { host: (m[1] ?? m[2])!, port: Number(m[3]) } : 'CONNECT needs host:port';
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'this is a proxy: send an absolute http:// URL, or CONNECT host:port for HTTPS';
  }
  if (url.protocol !== 'http:') return `only http:// URLs are proxied as requests (use CONNECT for ${url.protocol})`;
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : 80, path: url.pathname + url.search };
}

/** The request head for the origin server: origin-form target, proxy headers dropped, one request per connection. */
function originHead(method: string, path: string, version: string, headerLines: string[]): Buffer {
  const drop = /^(proxy-connection|proxy-authorization|connection|keep-alive)\s*:/i;
  const kept = headerLines.filter((l) => l && !drop.test(l));
  return Buffer.from(`${method} ${path} ${version}\r\n${kept.join('\r\n')}${kept.length ? '\r\n' : ''}Connection: close\r\n\r\n`, 'latin1');
}

function openChannel(socket: Socket, host: string, port: number, onOpened: (address: string) => void): void {
  const id = nextChannel++;
  const window = new SendWindow(undefined, (blocked) => (blocked ? socket.pause() : socket.resume()));
  const ch: Channel = {
    socket,
    window,
    opened: false,
    remoteEnded: false,
    credit: new CreditReturn((n) => send(encodeFrame(FrameType.window, id, windowPayload(n)))),
    onOpened: (address) => {
      ch.opened = true;
      onOpened(address);
      socket.resume();
    },
    onRefused: (r) => {
      channels.delete(id);
      reply(socket, r.status, r.reason);
    },
  };
  channels.set(id, ch);
  socket.on('data', (chunk: Buffer) => {
    out.cork();
    for (const part of encodeData(id, chunk)) send(part);
    out.uncork();
    window.spend(chunk.length);
  });
  socket.on('end', () => channels.has(id) && ch.opened && send(encodeFrame(FrameType.end, id)));
  socket.on('close', () => {
    if (channels.delete(id)) send(encodeFrame(FrameType.close, id));
  });
  send(encodeFrame(FrameType.open, id, jsonPayload({ host, port })));
}

function onClient(socket: Socket): void {
  socket.on('error', () => socket.destroy());
  let head = Buffer.alloc(0);
  const onHead = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const endAt = head.indexOf('\r\n\r\n');
    if (endAt < 0) {
      if (head.length > MAX_HEAD_BYTES) {
        socket.off('data', onHead);
        reply(socket, 431, 'request head too large');
      }
      return;
    }
    socket.off('data', onHead);
    socket.pause();
    const rest = head.subarray(endAt + 4);
    const [requestLine = '', ...headerLines] = head.subarray(0, endAt).toString('latin1').split('\r\n');
    const [method = '', uri = '', version = 'HTTP/1.1'] = requestLine.split(' ');
    const t = target(method, uri);
    if (typeof t === 'string') return reply(socket, 400, t);
    // Once the host says the destination is connected: answer a CONNECT, or send the rewritten request on.
    const begin = (sendUp: (bytes: Buffer) => void) => {
      if (method === 'CONNECT') {
        socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (rest.length) sendUp(rest);
      } else {
        sendUp(Buffer.concat([originHead(method, t.path!, version, headerLines), rest]));
      }
    };
    const overChannel = () => openChannel(socket, t.host, t.port, () => begin((b) => socket.emit('data', b)));
    if (hostSocket) openOverHostSocket(hostSocket, socket, t.host, t.port, begin, (r) => reply(socket, r.status, r.reason), overChannel);
    else overChannel();
  };
  socket.on('data', onHead);
}

function onFrame(f: Frame, read: Buffer): void {
  if (f.channel === 0 && f.type === FrameType.transport) return tryHostSocket(JSON.parse(f.payload.toString('utf8')) as HostSocketOffer);
  const ch = channels.get(f.channel);
  if (!ch) return; // a late frame for a channel that is already closed
  switch (f.type) {
    case FrameType.opened:
      ch.onOpened(JSON.parse(f.payload.toString('utf8')).address);
      break;
    case FrameType.refused:
      ch.onRefused(JSON.parse(f.payload.toString('utf8')) as Refusal);
      break;
    case FrameType.data: {
      const n = f.payload.length;
      readRefs.set(read, readRefs.get(read)! + 1);
      ch.socket.write(f.payload, () => {
        release(read);
        if (channels.has(f.channel)) ch.credit.consumed(n);
      });
      break;
    }
    case FrameType.window:
      ch.window.grant(f.payload.readUInt32BE(0));
      break;
    case FrameType.end:
      ch.remoteEnded = true;
      ch.socket.end();
      break;
    case FrameType.close:
      // The destination is gone; a half-closed socket first flushes what it was sent, then is closed.
      channels.delete(f.channel);
      if (ch.remoteEnded && !ch.socket.writableFinished) ch.socket.once('finish', () => ch.socket.destroy());
      else ch.socket.destroy();
      break;
  }
}

// stdin is read into reusable buffers (no 64 KiB allocation per read): a buffer goes back to the pool once every
// data part cut from it has been written to its client (refs), or is simply collected if a callback never comes.
const READ_BYTES = 64 * 1024;
const freeReads: Buffer[] = [];
const readRefs = new Map<Buffer, number>();
function release(buf: Buffer): void {
  const left = (readRefs.get(buf) ?? 1) - 1;
  if (left > 0) return void readRefs.set(buf, left);
  readRefs.delete(buf);
  if (freeReads.length < 32) freeReads.push(buf);
}

const decoder = new FrameDecoder({ streamData: true }); // data parts as they arrive, never joined
const input = new Socket({
  fd: 0,
  readable: true,
  writable: false,
  onread: {
    buffer: () => freeReads.pop() ?? Buffer.allocUnsafeSlow(READ_BYTES),
    callback: (n: number, buf: Uint8Array): boolean => {
      const read = buf as Buffer;
      let frames: Frame[];
      try {
        frames = decoder.push(read.subarray(0, n)); // keeps no view of `read` past this call (it copies what it holds)
      } catch (err) {
        process.stderr.write(`egress relay: ${(err as Error).message}\n`);
        process.exit(2);
      }
      readRefs.set(read, 1); // held while its frames are handled
      for (const f of frames) onFrame(f, read);
      release(read);
      return true;
    },
  },
});
input.on('end', () => process.exit(0));
input.on('error', () => process.exit(0));

// noDelay: answers come back in frames; Nagle would hold a small tail for the client's delayed ACK.
const server = createServer({ allowHalfOpen: true, pauseOnConnect: false, noDelay: true }, onClient);
server.on('error', (err) => {
  process.stderr.write(`egress relay: cannot listen on 127.0.0.1:${EGRESS_PROXY_PORT}: ${err.message}\n`);
  process.exit(3);
});
// reusePort: where several server replicas share the sandbox each starts its relay, and every relay listens (the
// kernel spreads connections over them), so egress goes on through the others when one replica goes. Linux admits
// only sockets of the same user to the group: the agent (uid 1000) cannot join it to take a share of the traffic.
server.listen({ port: EGRESS_PROXY_PORT, host: '127.0.0.1', reusePort: true }, () => send(encodeFrame(FrameType.opened, 0, jsonPayload({ address: `127.0.0.1:${EGRESS_PROXY_PORT}` }))));
