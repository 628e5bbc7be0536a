// TCP tunnels: the host reaches a port inside the sandbox through the daemon's stream. Bytes travel raw in binary
// frames both ways, unanswered, under credit flow control (tunnel-flow.ts): what the daemon holds per tunnel is
// bounded whether the sandbox side floods or stops reading.
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

export class Tunnels {
  private readonly byId = new Map<string, OpenTunnel>();

  constructor(private readonly emit: (ev: DaemonEvent) => void) {}

  open(a: DaemonOps['tunnelOpen'][0]): Promise<{ opened: true }> {
    return new Promise((resolve, reject) => {
      // No Nagle: CDP is many small messages each way, and a delayed small write waits out the peer's delayed ACK.
      const sock = net.connect({ port: a.port, host: a.host ?? '127.0.0.1', noDelay: true });
      const tunnelId = a.tunnelId;
      sock.once('connect', () => {
        const credit = new TunnelSendCredit(sock);
        const receipts = new TunnelReceipts(sock, (bytes) => this.emit({ ev: 'tunnelAck', tunnelId, bytes }));
        this.byId.set(tunnelId, { sock, credit, receipts });
        sock.on('data', (d: Buffer) => {
          for (const chunk of tunnelChunks(d)) this.emit({ ev: 'tunnelData', tunnelId, data: chunk });
          credit.sent(d.length);
        });
        resolve({ opened: true });
      });
      sock.once('error', (e) => {
        if (!this.byId.has(tunnelId)) reject(new DaemonError('ECONNREFUSED', `nothing listens on port ${a.port} in the sandbox (${e.message})`));
      });
      sock.once('close', () => {
        if (this.byId.delete(tunnelId)) this.emit({ ev: 'tunnelClosed', tunnelId });
      });
    });
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

  close(a: DaemonOps['tunnelClose'][0]): { ok: true } {
    this.byId.get(a.tunnelId)?.sock.destroy();
    this.byId.delete(a.tunnelId);
    return { ok: true };
  }
}
