// CDP to the sandbox's Chromium over the daemon's raw tunnel connection itself (sandbox/src/tunnel.ts connectRaw),
// handed to playwright-core as a ConnectOverCDPTransport. Why: with a ws:// URL, playwright-core's WebSocket went to
// a loopback port of ours that copied every CDP message once more onto the daemon's connection (a third of this
// process's CPU samples in a warm navigate + snapshot). The WebSocket client is the `ws` that playwright-core bundles
// and uses for the same purpose; here it runs on the given socket instead of dialling one. No permessage-deflate: zlib
// on every message costs more than it saves on a local path. What Chromium sends is parsed as JSON and nothing more
// here: playwright-core handles it as it would from its own transport.
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import type { ConnectOverCDPTransport } from 'playwright-core';

interface WsLike {
  on(event: 'open', cb: () => void): void;
  on(event: 'message', cb: (data: Buffer) => void): void;
  on(event: 'close', cb: (code: number, reason: Buffer) => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
  once(event: 'open' | 'error', cb: (arg?: unknown) => void): void;
  send(data: string): void;
  close(): void;
  terminate(): void;
}
type WsClass = new (url: string, protocols: string[], options: Record<string, unknown>) => WsLike;

/** Largest CDP message taken from Chromium (playwright-core's own limit). */
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;
const OPEN_TIMEOUT_MS = 15_000;

/**
 * Speak CDP's WebSocket on `conn` (the path of Chromium's browser endpoint, e.g. /devtools/browser/<id>); resolves
 * once the upgrade is answered. The socket is the transport's from here on: closing either closes both.
 */
export async function cdpTransportOn(conn: Socket, browserPath: string): Promise<ConnectOverCDPTransport> {
  const { ws: WebSocket } = createRequire(import.meta.url)('playwright-core/lib/utilsBundle') as { ws: WsClass };
  // The Host is what Chromium's DevTools server accepts (an IP literal); the bytes go to `conn` whatever it names.
  // `conn` comes paused; Chromium sends nothing before the upgrade request, so reading from here on loses nothing.
  const socket = new WebSocket(`ws://127.0.0.1${browserPath}`, [], { createConnection: () => conn.resume(), perMessageDeflate: false, maxPayload: MAX_MESSAGE_BYTES });
  const transport: ConnectOverCDPTransport = {
    send: (message) => socket.send(JSON.stringify(message)),
    close: () => socket.close(),
  };
  // Listening before the upgrade is answered: a message in the same read as the answer is not missed.
  socket.on('message', (data) => {
    let message: object;
    try {
      message = JSON.parse(data.toString('utf8')) as object;
    } catch {
      return socket.terminate(); // not CDP: the connection is not Chromium's any more
    }
    // One message per macrotask, as playwright-core's own WebSocket transport delivers them.
    setImmediate(() => transport.onmessage?.(message));
  });
  socket.on('close', () => setImmediate(() => transport.onclose?.()));
  socket.on('error', () => socket.terminate());
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error('Chromium did not answer the CDP WebSocket upgrade'));
    }, OPEN_TIMEOUT_MS);
    socket.once('open', () => (clearTimeout(timer), resolve()));
    socket.once('error', (err) => (clearTimeout(timer), reject(err as Error)));
  });
  return transport;
}
