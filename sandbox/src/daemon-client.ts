// Host side of the daemon protocol: starts the daemon with one attached `docker exec` and multiplexes
// requests, responses and tunnel events over its stdin/stdout. What comes back is sandbox data: lines and binary
// frames (tunnel bytes only) are bounded (LineSplitter) and every answer and event is checked before use
// (daemon-answers.ts).
import { EventEmitter } from 'node:events';
import { PassThrough, type Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { binaryFrame, LineSplitter } from '../daemon/framing.js';
import { DAEMON_PROTOCOL_VERSION, type DaemonEvent, type DaemonOp, type DaemonOps } from '../daemon/protocol.js';
import { TUNNEL_MAX_CHUNK_BYTES } from '../daemon/tunnel-flow.js';
import { answerLineLimit, BASE_LINE_BYTES, checkAnswer, checkError, checkEvent, checkFrameEvent, malformedAnswer } from './daemon-answers.js';

/** The daemon (or its container) went away while a request was in flight. */
export class DaemonGoneError extends Error {
  override readonly name = 'DaemonGoneError';
}
/** The daemon refused a request; `code` is an errno-like string (ENOENT, OUTSIDE_WORKSPACE, ...). */
export class DaemonRequestError extends Error {
  override readonly name = 'DaemonRequestError';
  constructor(readonly code: string, message: string) {
    super(message);
  }
}
/** The daemon answered with something that is not a valid answer to the request (a bug, or a hostile daemon). */
export class DaemonProtocolError extends DaemonGoneError {}
export class AbortedError extends Error {
  override readonly name = 'AbortError';
  constructor() {
    super('cancelled');
  }
}

interface Pending {
  op: DaemonOp;
  args: unknown;
  lineLimit: number;
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer?: NodeJS.Timeout;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Give up after this long (the daemon enforces command timeouts itself; this catches a hung daemon). */
  timeoutMs?: number;
  /** Sent to the daemon when the caller aborts (e.g. cancel an exec). */
  onAbort?: () => void;
  /** Raw bytes sent with the request as one binary frame (framing.ts) instead of base64 in the JSON. */
  payload?: Uint8Array;
}

/** How to start the daemon: the exec's command, user and environment (see daemonExec in container.ts). */
export interface DaemonLaunch {
  Cmd: string[];
  User: string;
  Env: string[];
  WorkingDir: string;
  /** Written to the exec's stdin before anything else: the daemon program (the launch script reads exactly its size). */
  program?: Buffer;
}

export class SandboxDaemonClient extends EventEmitter<{ event: [DaemonEvent]; closed: [] }> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private alive = true;
  private stderrTail = '';
  /** The daemon's process id (from hello): the same after a reconnect means the daemon, and its processes, lived on. */
  daemonPid = 0;

  private constructor(private readonly stream: Duplex) {
    super();
  }

  static async connect(docker: Docker, container: Docker.Container, launch: DaemonLaunch): Promise<SandboxDaemonClient> {
    const { program, ...spec } = launch;
    const exec = await container.exec({ ...spec, AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false });
    const stream = (await exec.start({ hijack: true, stdin: true })) as Duplex;
    if (program) stream.write(program);
    const client = new SandboxDaemonClient(stream);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    docker.modem.demuxStream(stream, stdout, stderr);
    stderr.on('data', (d: Buffer) => (client.stderrTail = (client.stderrTail + d.toString()).slice(-2000)));
    const splitter = new LineSplitter(
      (line) => client.onLine(line),
      () => client.lineLimit(),
      (bytes, limit) => client.close(new DaemonProtocolError(`the sandbox daemon sent a line or frame of more than ${limit} bytes (protocol violation); the connection was closed`)),
      // Tunnel bytes come raw in binary frames, each at most one tunnel chunk (a bigger claim is refused unread).
      {
        maxPayloadBytes: TUNNEL_MAX_CHUNK_BYTES,
        onFrame: (header, payload) => {
          const ev = checkFrameEvent(header, payload);
          if (ev) client.emit('event', ev);
        },
      },
    );
    stdout.on('data', (chunk: Buffer) => splitter.push(chunk));
    // Its last words are sandbox text: one cleaned, bounded line inside our own sentence.
    const lastWords = () => checkError({ message: client.stderrTail.trim().slice(-300) }).message;
    const gone = () => client.close(new DaemonGoneError('the sandbox daemon stopped' + (client.stderrTail.trim() ? `: ${lastWords()}` : '')));
    stream.on('end', gone);
    stream.on('close', gone);
    stream.on('error', gone);
    const hello = await client.request('hello', {}, { timeoutMs: 15_000 });
    if (hello.version !== DAEMON_PROTOCOL_VERSION) {
      // Another server of a different version serves this sandbox (one daemon per sandbox, shared): its frames
      // would be misread both ways. The daemon is replaced once every server of that version has disconnected.
      const error = new DaemonProtocolError(`the sandbox's daemon speaks protocol ${hello.version}, this server ${DAEMON_PROTOCOL_VERSION}: a server of another suna-mcp version is using this sandbox. Stop it (or use another sandbox name), then retry`);
      client.close(error);
      throw error;
    }
    client.daemonPid = hello.pid;
    return client;
  }

  get isAlive(): boolean {
    return this.alive;
  }

  /** The longest line accepted now: room for the largest answer any pending request may legitimately get. */
  private lineLimit(): number {
    let limit = BASE_LINE_BYTES;
    for (const p of this.pending.values()) limit = Math.max(limit, p.lineLimit);
    return limit;
  }

  request<K extends DaemonOp>(op: K, args: DaemonOps[K][0], opts: RequestOptions = {}): Promise<DaemonOps[K][1]> {
    if (!this.alive) return Promise.reject(new DaemonGoneError('the sandbox daemon is not running'));
    if (opts.signal?.aborted) return Promise.reject(new AbortedError());
    const id = this.nextId++;
    return new Promise<DaemonOps[K][1]>((resolve, reject) => {
      const p: Pending = { op, args, lineLimit: answerLineLimit(op, args), resolve: resolve as (v: unknown) => void, reject };
      const onAbort = () => {
        this.settle(id);
        opts.onAbort?.();
        reject(new AbortedError());
      };
      if (opts.signal) opts.signal.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => opts.signal?.removeEventListener('abort', onAbort);
      p.resolve = (v) => (cleanup(), resolve(v as DaemonOps[K][1]));
      p.reject = (e) => (cleanup(), reject(e));
      if (opts.timeoutMs) {
        p.timer = setTimeout(() => {
          this.settle(id);
          p.reject(new DaemonGoneError(`the sandbox daemon did not answer "${op}" within ${Math.round(opts.timeoutMs! / 1000)} s`));
        }, opts.timeoutMs);
      }
      this.pending.set(id, p);
      const request = JSON.stringify({ id, op, args });
      if (!opts.payload) this.stream.write(request + '\n');
      else for (const part of binaryFrame(request, opts.payload)) this.stream.write(part); // adjacent: nothing interleaves
    });
  }

  /** Waiting for the stream to take writes again (one 'drain' listener for all of them). */
  private readonly drainWaiters = new Set<() => void>();

  /** Calls `fn` once the stream to the daemon drains (notify returned false), or at once when it is not backed up. */
  whenWritable(fn: () => void): void {
    if (!this.stream.writableNeedDrain) return fn();
    if (!this.drainWaiters.size)
      this.stream.once('drain', () => {
        const waiters = [...this.drainWaiters];
        this.drainWaiters.clear();
        for (const w of waiters) w();
      });
    this.drainWaiters.add(fn);
  }

  /**
   * A notification: no id, so the daemon never answers (e.g. cancel, and tunnel writes and acks on hot paths).
   * With `payload`, one binary frame carrying those bytes raw. Returns false when the stream is backed up.
   */
  notify<K extends DaemonOp>(op: K, args: DaemonOps[K][0], payload?: Uint8Array): boolean {
    if (!this.alive) return false;
    const message = JSON.stringify({ op, args });
    if (!payload) return this.stream.write(message + '\n');
    let flowing = true;
    for (const part of binaryFrame(message, payload)) flowing = this.stream.write(part); // adjacent: nothing interleaves
    return flowing;
  }

  close(reason: Error = new DaemonGoneError('closed')): void {
    if (!this.alive) return;
    this.alive = false;
    for (const [id, p] of this.pending) {
      this.settle(id);
      p.reject(reason);
    }
    this.stream.destroy();
    this.emit('closed');
  }

  private settle(id: number): void {
    const p = this.pending.get(id);
    if (p?.timer) clearTimeout(p.timer);
    this.pending.delete(id);
  }

  private onLine(line: Buffer): void {
    let msg: unknown;
    try {
      msg = JSON.parse(line.toString('utf8'));
    } catch {
      return;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return;
    const m = msg as { ev?: unknown; id?: unknown; ok?: unknown; result?: unknown; error?: unknown };
    if ('ev' in m) {
      const ev = checkEvent(m);
      if (ev) this.emit('event', ev);
      return;
    }
    const p = typeof m.id === 'number' ? this.pending.get(m.id) : undefined;
    if (!p) return; // answered after the caller gave up (or an id we never sent)
    this.settle(m.id as number);
    if (m.ok === true) {
      const checked = checkAnswer(p.op, p.args as never, m.result);
      if (checked.ok) p.resolve(checked.value);
      else p.reject(new DaemonProtocolError(malformedAnswer(p.op, checked.problem)));
    } else {
      const e = checkError(m.error);
      p.reject(new DaemonRequestError(e.code, e.message));
    }
  }
}
