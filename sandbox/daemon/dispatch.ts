// Requests in, responses out: one JSON request per line (or per binary frame, whose raw payload goes to the
// handler beside its arguments: see framing.ts), each answered by id (in completion order). A request without
// an id is a notification, for the few ops that are one (NOTIFICATION_OPS: tunnel bytes and acks, closes and
// cancels): handled, never answered, its failure dropped. Any other op without an id is dropped unread.
import { DaemonError } from './errors.js';
import { DaemonErrorCodes as E, type DaemonOps } from './protocol.js';

export type Handlers = { [K in keyof DaemonOps]: (a: DaemonOps[K][0], payload?: Buffer) => Promise<DaemonOps[K][1]> | DaemonOps[K][1] };

/** The largest request the daemon accepts (a 100 MB file write is ~134 MB of base64). */
export const MAX_REQUEST_LINE_BYTES = 256 * 1024 * 1024;
/** The largest raw payload of a binary frame (a sync archive: the host caps one at 96 MB). */
export const MAX_FRAME_PAYLOAD_BYTES = 128 * 1024 * 1024;

/** Ops the host sends without waiting for an answer; nothing else is run without an id. */
export const NOTIFICATION_OPS: ReadonlySet<string> = new Set(['tunnelWrite', 'tunnelAck', 'tunnelClose', 'cancel', 'codeCancel']);

export class Dispatcher {
  constructor(private readonly handlers: Handlers, private readonly send: (msg: unknown) => void) {}

  /** One request line; malformed ones are answered with BAD_REQUEST when they carry an id, else dropped. */
  line(raw: Buffer | string, payload?: Buffer): void {
    let req: unknown;
    try {
      req = JSON.parse(raw.toString());
    } catch {
      return;
    }
    const { id, op, args } = (req ?? {}) as { id?: unknown; op?: unknown; args?: unknown };
    if (id === undefined) return void (typeof op === 'string' && NOTIFICATION_OPS.has(op) && this.handle(undefined, op, args, payload));
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) return;
    void this.handle(id, op, args, payload);
  }

  /** A binary frame: its JSON header is a request like a line's, its payload goes to the handler as it came. */
  frame(header: Buffer, payload: Buffer): void {
    this.line(header, payload);
  }

  private async handle(id: number | undefined, op: unknown, args: unknown, payload: Buffer | undefined): Promise<void> {
    try {
      const fn = typeof op === 'string' && Object.hasOwn(this.handlers, op) ? (this.handlers[op as keyof Handlers] as (a: unknown, payload?: Buffer) => unknown) : undefined;
      if (!fn) throw new DaemonError(E.badRequest, `unknown op ${String(op).slice(0, 40)}`);
      if (args !== undefined && (typeof args !== 'object' || args === null || Array.isArray(args))) throw new DaemonError(E.badRequest, 'args must be an object');
      const result = await fn(args ?? {}, payload);
      if (id !== undefined) this.send({ id, ok: true, result });
    } catch (err) {
      if (id === undefined) return;
      const e = err as NodeJS.ErrnoException;
      this.send({ id, ok: false, error: { code: String(e?.code ?? 'ERROR'), message: String(e?.message ?? e) } });
    }
  }
}
