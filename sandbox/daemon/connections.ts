// One daemon, several hosts: every server replica that serves a sandbox holds a connection to the same daemon
// (its own `docker exec` stdio, or a bridge to the daemon's root-only unix socket: shared-socket.ts), so a
// background process started through one replica is read, fed, killed and listed through another. Each
// connection has its own request ids, framing limit and dispatcher; the host-made ids of work that answers
// with events (exec, code run, tunnel) are made per connection here, so two replicas that both say "x1" never
// meet, and their events go back only to the connection that asked. A connection that breaks the framing is
// dropped alone. When the last connection goes, the daemon stops what it started and exits (as it did with one).
import { Dispatcher, MAX_FRAME_PAYLOAD_BYTES, MAX_REQUEST_LINE_BYTES, type Handlers } from './dispatch.js';
import { binaryFrame, LineSplitter } from './framing.js';
import type { DaemonEvent } from './protocol.js';

/** More than the replicas a deployment runs per sandbox; more connections are refused at once. */
export const MAX_CONNECTIONS = 32;
/** Answers a connection has not read yet, before it is dropped as a reader that does not read (largest answer ≈ 256 MiB). */
export const MAX_UNREAD_BYTES = 600 * 1024 * 1024;

/** What a connection is: bytes in, lines out, and a way to hang up. */
export interface Link {
  onData(fn: (chunk: Buffer) => void): void;
  onEnd(fn: () => void): void;
  write(data: string | Uint8Array): void;
  /** Bytes written but not yet taken by the reader (a socket's writableLength; 0 when unknown). */
  unread(): number;
  close(): void;
}

interface Connection {
  id: number;
  link: Link;
  execs: Set<string>;
  tunnels: Set<string>;
  runs: Set<string>;
}

const SCOPED = /^(\d+):([\s\S]*)$/;

export class Connections {
  private readonly open = new Map<number, Connection>();
  private counter = 0;

  /** `onIdle`: the last connection went away. */
  constructor(private readonly handlers: Handlers, private readonly onIdle: () => void) {}

  get count(): number {
    return this.open.size;
  }

  /** Serve a new connection; false (and hung up) when there are too many. */
  attach(link: Link): boolean {
    if (this.open.size >= MAX_CONNECTIONS) {
      link.close();
      return false;
    }
    const conn: Connection = { id: ++this.counter, link, execs: new Set(), tunnels: new Set(), runs: new Set() };
    this.open.set(conn.id, conn);
    const send = (msg: unknown) => {
      if (this.open.has(conn.id)) this.write(conn, msg);
    };
    const dispatcher = new Dispatcher(this.scopedHandlers(conn), send);
    // A line or binary frame over its limit is a protocol violation: this connection cannot be trusted past it.
    const splitter = new LineSplitter((line) => dispatcher.line(line), () => MAX_REQUEST_LINE_BYTES, () => this.detach(conn), {
      maxPayloadBytes: MAX_FRAME_PAYLOAD_BYTES,
      onFrame: (header, payload) => dispatcher.frame(header, payload),
    });
    link.onData((chunk) => splitter.push(chunk));
    link.onEnd(() => this.detach(conn));
    return true;
  }

  /** An event from the daemon's parts: to the connection whose exec/tunnel it is, or (quota) to every connection. */
  emit(ev: DaemonEvent): void {
    const scopedId = 'execId' in ev ? ev.execId : 'tunnelId' in ev ? ev.tunnelId : undefined;
    if (scopedId === undefined) {
      for (const c of this.open.values()) this.write(c, ev);
      return;
    }
    const m = SCOPED.exec(scopedId);
    const conn = m ? this.open.get(Number(m[1])) : undefined;
    if (!conn) return; // its connection is gone
    if (ev.ev === 'tunnelClosed') conn.tunnels.delete(scopedId);
    // Tunnel bytes go raw, as a binary frame (its header names the tunnel), never as base64 in a JSON line.
    if (ev.ev === 'tunnelData') return this.writeFrame(conn, JSON.stringify({ ev: ev.ev, tunnelId: m![2] }), ev.data);
    this.write(conn, 'execId' in ev ? { ...ev, execId: m![2] } : { ...ev, tunnelId: m![2] });
  }

  private write(conn: Connection, msg: unknown): void {
    conn.link.write(JSON.stringify(msg) + '\n');
    if (conn.link.unread() > MAX_UNREAD_BYTES) this.detach(conn);
  }

  private writeFrame(conn: Connection, header: string, payload: Uint8Array): void {
    for (const part of binaryFrame(header, payload)) conn.link.write(part); // adjacent: nothing interleaves
    if (conn.link.unread() > MAX_UNREAD_BYTES) this.detach(conn);
  }

  /** Hang up one connection: its foreground commands, code runs and tunnels end with it; background processes stay. */
  private detach(conn: Connection): void {
    if (!this.open.delete(conn.id)) return;
    conn.link.close();
    for (const execId of conn.execs) void this.handlers.cancel({ execId });
    for (const runId of conn.runs) void this.handlers.codeCancel({ runId });
    for (const tunnelId of conn.tunnels) void this.handlers.tunnelClose({ tunnelId });
    if (this.open.size === 0) this.onIdle();
  }

  /** The handlers as one connection sees them: its exec, run and tunnel ids made its own. */
  private scopedHandlers(conn: Connection): Handlers {
    const h = this.handlers;
    const own = (id: unknown) => `${conn.id}:${String(id)}`;
    const tracked = async <T>(set: Set<string>, id: string, work: () => Promise<T> | T): Promise<T> => {
      set.add(id);
      try {
        return await work();
      } finally {
        set.delete(id);
      }
    };
    return {
      ...h,
      exec: (a) => tracked(conn.execs, own(a.execId), () => h.exec({ ...a, execId: own(a.execId) })),
      cancel: (a) => h.cancel({ ...a, execId: own(a.execId) }),
      codeRun: (a) => tracked(conn.runs, own(a.runId), () => h.codeRun({ ...a, runId: own(a.runId) })),
      codeCancel: (a) => h.codeCancel({ runId: own(a.runId) }),
      tunnelOpen: async (a) => {
        const id = own(a.tunnelId);
        const opened = await h.tunnelOpen({ ...a, tunnelId: id });
        if (this.open.has(conn.id)) conn.tunnels.add(id);
        else void h.tunnelClose({ tunnelId: id }); // its connection went while it opened
        return opened;
      },
      tunnelWrite: (a, payload) => h.tunnelWrite({ ...a, tunnelId: own(a.tunnelId) }, payload),
      tunnelAck: (a) => h.tunnelAck({ ...a, tunnelId: own(a.tunnelId) }),
      tunnelClose: (a) => {
        conn.tunnels.delete(own(a.tunnelId));
        return h.tunnelClose({ tunnelId: own(a.tunnelId) });
      },
    };
  }
}
