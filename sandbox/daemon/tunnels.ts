// TCP tunnels: the host reaches a port inside the sandbox through the daemon's stream (data as events).
import * as net from 'node:net';
import { DaemonError } from './errors.js';
import { DaemonErrorCodes as E, type DaemonEvent, type DaemonOps } from './protocol.js';

export class Tunnels {
  private readonly sockets = new Map<string, net.Socket>();

  constructor(private readonly emit: (ev: DaemonEvent) => void) {}

  open(a: DaemonOps['tunnelOpen'][0]): Promise<{ opened: true }> {
    return new Promise((resolve, reject) => {
      // No Nagle: CDP is many small messages each way, and a delayed small write waits out the peer's delayed ACK.
      const sock = net.connect({ port: a.port, host: a.host ?? '127.0.0.1', noDelay: true });
      sock.once('connect', () => {
        this.sockets.set(a.tunnelId, sock);
        sock.on('data', (d: Buffer) => this.emit({ ev: 'tunnelData', tunnelId: a.tunnelId, data: d.toString('base64') }));
        resolve({ opened: true });
      });
      sock.once('error', (e) => {
        if (!this.sockets.has(a.tunnelId)) reject(new DaemonError('ECONNREFUSED', `nothing listens on port ${a.port} in the sandbox (${e.message})`));
      });
      sock.once('close', () => {
        if (this.sockets.delete(a.tunnelId)) this.emit({ ev: 'tunnelClosed', tunnelId: a.tunnelId });
      });
    });
  }

  write(a: DaemonOps['tunnelWrite'][0]): { ok: true } {
    const s = this.sockets.get(a.tunnelId);
    if (!s) throw new DaemonError(E.notFound, 'tunnel closed');
    s.write(Buffer.from(String(a.data), 'base64'));
    return { ok: true };
  }

  close(a: DaemonOps['tunnelClose'][0]): { ok: true } {
    this.sockets.get(a.tunnelId)?.destroy();
    this.sockets.delete(a.tunnelId);
    return { ok: true };
  }
}
