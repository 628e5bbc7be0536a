// The host end of raw tunnels: where the engine is local, the daemon connects out to this server's host socket
// (host-socket.ts) for each tunnel instead of carrying its bytes as frames on the exec stream, so every CDP round
// trip crosses the kernel only, not dockerd and the containerd shim twice. The host never connects to a path inside
// the sandbox (the sandbox could plant a symlink there): it hands the daemon, over the exec stream, a token made for
// that one tunnel, and waits for the connection that names it. A token admits one connection, once, to the tunnel it
// was made for, on the socket of the sandbox that issued it; an unknown, reused or late token gets nothing.
import type { Socket } from 'node:net';

/** The part of the host socket a tunnel uses (host-socket.ts: HostSocket). */
export interface TunnelHostSocket {
  readonly listening: boolean;
  /** The socket's path as the sandbox sees it. */
  readonly sandboxPath: string | null;
  registerService(name: string, handler: (socket: Socket, token: string) => void): void;
  issueToken(service: string): string;
  revokeToken(token: string): void;
}

export const TUNNEL_SERVICE = 'tunnel';
/** Our answer to a tunnel's hello (sandbox/daemon/tunnels.ts waits for it). */
const TOOK = 'ok\n';
/** How long a tunnel waits for the daemon's connection after the daemon said it opened one. */
const ARRIVAL_TIMEOUT_MS = 5000;

export interface ExpectedTunnel {
  /** Where the daemon connects, and the token it names there. */
  readonly hostSocket: { path: string; token: string };
  /** The daemon's connection (paused), or a rejection after ARRIVAL_TIMEOUT_MS. */
  arrival(): Promise<Socket>;
  /** The tunnel goes another way (or failed): its token admits nothing any more. */
  cancel(): void;
}

/** Tunnels waiting for their connection, per host socket (one per sandbox and server process). */
class RawTunnels {
  private readonly waiting = new Map<string, { arrived: (s: Socket) => void; early?: Socket }>();

  constructor(private readonly socket: TunnelHostSocket) {
    socket.registerService(TUNNEL_SERVICE, (conn, token) => this.arrived(conn, token));
  }

  expect(): ExpectedTunnel | null {
    const path = this.socket.sandboxPath;
    if (!this.socket.listening || !path) return null;
    const token = this.socket.issueToken(TUNNEL_SERVICE);
    let delivered: ((s: Socket) => void) | null = null;
    let early: Socket | null = null;
    this.waiting.set(token, { arrived: (s) => (delivered ? delivered(s) : (early = s)) });
    const cancel = () => {
      this.waiting.delete(token);
      this.socket.revokeToken(token);
    };
    return {
      hostSocket: { path, token },
      cancel: () => {
        cancel();
        early?.destroy();
      },
      arrival: () =>
        new Promise<Socket>((resolve, reject) => {
          if (early) return resolve(early);
          const timer = setTimeout(() => {
            cancel();
            reject(new Error('the sandbox did not connect the tunnel'));
          }, ARRIVAL_TIMEOUT_MS);
          delivered = (s) => {
            clearTimeout(timer);
            resolve(s);
          };
        }),
    };
  }

  /** A connection whose hello named a valid tunnel token: handed to its tunnel once; the token is spent either way. */
  private arrived(conn: Socket, token: string): void {
    const w = this.waiting.get(token);
    this.waiting.delete(token);
    this.socket.revokeToken(token);
    if (!w) return void conn.destroy();
    conn.write(TOOK); // the daemon pipes only after this; without it (a full socket, a dropped hello) it uses the stream
    w.arrived(conn);
  }
}

const bySocket = new WeakMap<TunnelHostSocket, RawTunnels>();

/** A raw tunnel to expect on this host socket, or null where it does not listen (the exec stream carries the tunnel). */
export function expectRawTunnel(socket: TunnelHostSocket | null | undefined): ExpectedTunnel | null {
  if (!socket?.listening) return null;
  let tunnels = bySocket.get(socket);
  if (!tunnels) bySocket.set(socket, (tunnels = new RawTunnels(socket)));
  return tunnels.expect();
}

/**
 * Join the client and the daemon's connection: bytes flow as the kernel lets them (pipe() pauses a side whose
 * destination is full), so a flood or a reader that stalls holds at most the sockets' buffers on this side.
 */
export function joinRaw(client: Socket, daemon: Socket, first: Buffer | null): void {
  if (client.destroyed) return void daemon.destroy(); // the client went while the daemon connected
  // A side that closed (or failed: it is destroyed, and then closes) lets the other flush what it already took, then
  // end (pipe() ends it on a clean end too). Destroying both would drop those bytes mid-way.
  client.on('error', () => client.destroy());
  daemon.on('error', () => daemon.destroy());
  client.once('close', () => daemon.end());
  daemon.once('close', () => client.end());
  if (first?.length) daemon.write(first);
  client.pipe(daemon);
  daemon.pipe(client);
  client.resume();
  daemon.resume();
}
