// TCP forwarding from a host port to a port inside the sandbox, carried over the daemon's attached stream.
// It needs no published ports and no routable container IP, so it works the same on Linux Docker, Docker
// Desktop and a remote DOCKER_HOST. Used by the browser (CDP) and by port_expose.
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { DaemonEvent } from '../daemon/protocol.js';
import type { Sandbox } from './sandbox.js';

export interface TcpForward {
  /** Host port (on `host`) that reaches `sandboxPort` inside the sandbox. */
  readonly port: number;
  readonly host: string;
  readonly sandboxPort: number;
  close(): Promise<void>;
}

/** One connection through the tunnel. Bytes from the sandbox arrive as daemon events. */
async function relay(sandbox: Sandbox, socket: Socket, sandboxPort: number): Promise<void> {
  const tunnelId = `t${randomBytes(6).toString('hex')}`;
  socket.pause();
  let daemon;
  try {
    daemon = await sandbox.ensure();
    const onEvent = (ev: DaemonEvent) => {
      if (ev.ev === 'tunnelData' && ev.tunnelId === tunnelId) socket.write(Buffer.from(ev.data, 'base64'));
      else if (ev.ev === 'tunnelClosed' && ev.tunnelId === tunnelId) socket.end();
    };
    daemon.on('event', onEvent);
    const cleanup = () => {
      daemon!.off('event', onEvent);
      daemon!.notify('tunnelClose', { tunnelId });
    };
    socket.once('close', cleanup);
    daemon.once('closed', () => socket.destroy());
    await daemon.request('tunnelOpen', { tunnelId, port: sandboxPort }, { timeoutMs: 10_000 });
  } catch {
    socket.destroy();
    return;
  }
  socket.on('data', (chunk: Buffer) => daemon.notify('tunnelWrite', { tunnelId, data: chunk.toString('base64') }));
  socket.on('error', () => socket.destroy());
  socket.resume();
}

/**
 * Listen on `host:port` (port 0 = any free port) and forward every connection into the sandbox.
 * Refuses with a clear error when the host port is taken.
 */
export async function forwardPort(sandbox: Sandbox, sandboxPort: number, opts: { host?: string; port?: number } = {}): Promise<TcpForward> {
  const host = opts.host ?? '127.0.0.1';
  const server: Server = createServer((socket) => void relay(sandbox, socket, sandboxPort));
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
