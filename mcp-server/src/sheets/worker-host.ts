// Why: the server's side of the sheet worker. Tasks run one at a time in a worker thread with a heap limit and a
// wall-clock limit; a worker that runs out of memory or time is terminated and the task fails with a SheetError
// that says what to do, and the next task gets a fresh worker. The worker stays warm between calls (starting one
// costs a module load of exceljs) and is stopped after five quiet minutes.
import { Worker } from 'node:worker_threads';
import { SheetError } from './errors.js';
import { SHEET_LIMITS } from './limits.js';
import type { SheetTaskKind, SheetTaskOf, SheetTaskResults } from './tasks.js';
import type { WorkerReply, WorkerRequest } from './worker.js';

export interface SheetWorkerOptions { heapMb: number; taskMs: number; idleMs: number }

interface Job {
  request: WorkerRequest;
  name: string;
  signal?: AbortSignal;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  onAbort?: () => void;
}

/** The bundled CLI ships the worker as dist/sheets-worker.js beside it; from source (tests) it is worker.ts. */
function workerEntry(): URL {
  return import.meta.url.endsWith('.ts') ? new URL('./worker.ts', import.meta.url) : new URL('./sheets-worker.js', import.meta.url);
}

export class SheetWorkerHost {
  private worker?: Worker;
  private running?: { job: Job; timer: NodeJS.Timeout };
  private readonly queue: Job[] = [];
  private idleTimer?: NodeJS.Timeout;
  private nextId = 1;
  /** Set just before the host itself terminates the worker, so its exit is not reported as a crash. */
  private stopping?: SheetError | unknown;

  constructor(private readonly opts: SheetWorkerOptions = { heapMb: SHEET_LIMITS.workerHeapMb, taskMs: SHEET_LIMITS.taskMs, idleMs: 5 * 60_000 }) {}

  /** Runs `task` in the worker; `name` is the file as the user knows it, for error messages. */
  run<K extends SheetTaskKind>(task: SheetTaskOf<K>, opts: { signal?: AbortSignal } = {}): Promise<SheetTaskResults[K]> {
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted) return reject(opts.signal.reason);
      const job: Job = { request: { id: this.nextId++, task }, name: task.name, signal: opts.signal, resolve: resolve as (v: unknown) => void, reject };
      if (job.signal) {
        job.onAbort = () => this.abort(job);
        job.signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.queue.push(job);
      this.pump();
    });
  }

  /** Stops the worker now; queued and running tasks fail. */
  close(): void {
    for (const job of this.queue.splice(0)) this.settle(job, new SheetError('the sheet worker was stopped'));
    if (this.running) this.kill(new SheetError('the sheet worker was stopped'));
    else void this.worker?.terminate();
    this.worker = undefined;
  }

  private pump(): void {
    if (this.running || !this.queue.length) return;
    clearTimeout(this.idleTimer);
    const job = this.queue.shift()!;
    const worker = (this.worker ??= this.spawn());
    const seconds = Number((this.opts.taskMs / 1000).toFixed(1));
    const timer = setTimeout(() => this.kill(new SheetError(`${job.name} took longer than ${seconds} s to process, the limit of the sheet tools; it was stopped. Process it with a streaming reader in shell_exec (python3 with csv or openpyxl read_only) instead.`)), this.opts.taskMs);
    this.running = { job, timer };
    worker.postMessage(job.request);
  }

  private spawn(): Worker {
    const worker = new Worker(workerEntry(), {
      resourceLimits: { maxOldGenerationSizeMb: this.opts.heapMb, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
      // On stdio, the server's stdout carries only JSON-RPC frames: whatever a library prints in the worker is dropped.
      stdout: true,
      stderr: false,
    });
    worker.stdout.resume();
    worker.unref();
    let failure: unknown;
    worker.on('message', (reply: WorkerReply) => {
      const running = this.running;
      if (!running || running.job.request.id !== reply.id) return;
      this.running = undefined;
      clearTimeout(running.timer);
      if (reply.ok) this.settle(running.job, undefined, reply.result);
      else this.settle(running.job, reply.domain ? new SheetError(reply.message) : new Error(`the sheet worker failed: ${reply.message}`));
      this.afterTask();
    });
    worker.on('error', (err) => (failure = err));
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      const running = this.running;
      if (!running) return;
      this.running = undefined;
      clearTimeout(running.timer);
      const stopped = this.stopping;
      this.stopping = undefined;
      this.settle(running.job, stopped ?? this.crashError(running.job.name, failure));
      this.afterTask();
    });
    return worker;
  }

  private crashError(name: string, err: unknown): Error {
    if ((err as { code?: string } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY')
      return new SheetError(`${name} needs more than the ${this.opts.heapMb} MB of memory the sheet tools allow; it was not loaded. Process it with a streaming reader in shell_exec (python3 with csv or openpyxl read_only) instead.`);
    return new Error(`the sheet worker stopped unexpectedly${err instanceof Error ? `: ${err.message.split('\n')[0]}` : ''}`);
  }

  /** Ends the running task with `reason` by terminating its worker (exceljs cannot be interrupted otherwise). */
  private kill(reason: unknown): void {
    if (!this.running || !this.worker) return;
    this.stopping = reason;
    const worker = this.worker;
    this.worker = undefined;
    void worker.terminate();
  }

  private abort(job: Job): void {
    if (this.running?.job === job) return this.kill(job.signal!.reason);
    const i = this.queue.indexOf(job);
    if (i >= 0) this.settle(this.queue.splice(i, 1)[0], job.signal!.reason);
  }

  private settle(job: Job, err: unknown, value?: unknown): void {
    if (job.onAbort) job.signal!.removeEventListener('abort', job.onAbort);
    if (err !== undefined) job.reject(err);
    else job.resolve(value);
  }

  private afterTask(): void {
    if (this.queue.length) return this.pump();
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.running || this.queue.length) return;
      void this.worker?.terminate();
      this.worker = undefined;
    }, this.opts.idleMs);
    this.idleTimer.unref();
  }
}

let shared: SheetWorkerHost | undefined;
/** The process's sheet worker, created on first use. */
export const sheetWorker = (): SheetWorkerHost => (shared ??= new SheetWorkerHost());
