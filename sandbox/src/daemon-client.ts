// Host side of the daemon protocol: starts the daemon with one attached `docker exec` and multiplexes
// requests, responses and tunnel events over its stdin/stdout.
import { EventEmitter } from 'node:events';
import { PassThrough, type Duplex } from 'node:stream';
import { createInterface } from 'node:readline';
import type Docker from 'dockerode';
import type { DaemonEvent, DaemonOp, DaemonOps, DaemonResponse } from '../daemon/protocol.js';
import { assets } from './assets.js';
import { WORKSPACE_DIR } from './container.js';

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
export class AbortedError extends Error {
  override readonly name = 'AbortError';
  constructor() {
    super('cancelled');
  }
}

interface Pending {
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
}

export class SandboxDaemonClient extends EventEmitter<{ event: [DaemonEvent]; closed: [] }> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private alive = true;
  private stderrTail = '';

  private constructor(private readonly stream: Duplex) {
    super();
  }

  /** `env`: extra NAME=value settings for the daemon itself (e.g. the disk quota); commands do not inherit them. */
  static async connect(docker: Docker, container: Docker.Container, { user, env = [] }: { user?: string; env?: string[] } = {}): Promise<SandboxDaemonClient> {
    const exec = await container.exec({
      Cmd: ['node', '-e', assets().daemon, 'suna-daemon'],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      WorkingDir: WORKSPACE_DIR,
      User: user,
      Env: [`SUNA_WORKSPACE=${WORKSPACE_DIR}`, ...env],
    });
    const stream = (await exec.start({ hijack: true, stdin: true })) as Duplex;
    const client = new SandboxDaemonClient(stream);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    docker.modem.demuxStream(stream, stdout, stderr);
    stderr.on('data', (d: Buffer) => (client.stderrTail = (client.stderrTail + d.toString()).slice(-2000)));
    createInterface({ input: stdout, crlfDelay: Infinity }).on('line', (line) => client.onLine(line));
    const gone = () => client.close(new DaemonGoneError('the sandbox daemon stopped' + (client.stderrTail ? `: ${client.stderrTail.trim().slice(-300)}` : '')));
    stream.on('end', gone);
    stream.on('close', gone);
    stream.on('error', gone);
    await client.request('hello', {}, { timeoutMs: 15_000 });
    return client;
  }

  get isAlive(): boolean {
    return this.alive;
  }

  request<K extends DaemonOp>(op: K, args: DaemonOps[K][0], opts: RequestOptions = {}): Promise<DaemonOps[K][1]> {
    if (!this.alive) return Promise.reject(new DaemonGoneError('the sandbox daemon is not running'));
    if (opts.signal?.aborted) return Promise.reject(new AbortedError());
    const id = this.nextId++;
    return new Promise<DaemonOps[K][1]>((resolve, reject) => {
      const p: Pending = { resolve: resolve as (v: unknown) => void, reject };
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
      this.stream.write(JSON.stringify({ id, op, args }) + '\n');
    });
  }

  /** Fire-and-forget (no response awaited), e.g. cancel and tunnel writes on hot paths. */
  notify<K extends DaemonOp>(op: K, args: DaemonOps[K][0]): void {
    if (!this.alive) return;
    const id = this.nextId++;
    this.stream.write(JSON.stringify({ id, op, args }) + '\n');
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

  private onLine(line: string): void {
    let msg: DaemonResponse | DaemonEvent;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if ('ev' in msg) {
      this.emit('event', msg);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return; // answered after the caller gave up
    this.settle(msg.id);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new DaemonRequestError(msg.error.code, msg.error.message));
  }
}
