// Commands: `exec` runs one to completion (head + tail of its output, spilled in full past the cap, timeout and
// cancel kill its whole process group); `start` (processes.ts) keeps one in the background. Both start here.
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import type { Identity } from './confinement.js';
import { Capture, Spill } from './capture.js';
import { DaemonError } from './errors.js';
import { terminateGroup, killGroup } from './groups.js';
import { DaemonErrorCodes as E, EXEC_STREAM_CHUNK_BYTES, EXEC_STREAM_MAX_BYTES, type DaemonEvent, type ExecArgs, type ExecResult } from './protocol.js';
import type { Workspace } from './workspace.js';

export function oomKillCount(): number {
  for (const file of ['/sys/fs/cgroup/memory.events', '/sys/fs/cgroup/memory/memory.oom_control']) {
    try {
      const m = /oom_kill (\d+)/.exec(fs.readFileSync(file, 'utf8'));
      if (m) return Number(m[1]);
    } catch {
      /* try the next layout */
    }
  }
  return -1;
}

export interface CommandSpec {
  command?: string;
  argv?: string[];
  cwd: string;
  env?: Record<string, string>;
}

/**
 * The live view of a running exec: output batched every LIVE_INTERVAL_MS into events of at most
 * EXEC_STREAM_CHUNK_BYTES, and no more than EXEC_STREAM_MAX_BYTES per exec (the result still has head and tail).
 * Nothing is sent at exit: the result carries the output, so a quick command costs no event at all.
 */
const LIVE_INTERVAL_MS = 250;

class LiveOutput {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private sent = 0;
  private readonly timer = setInterval(() => this.flush(), LIVE_INTERVAL_MS);

  constructor(private readonly send: (base64: string) => void) {}

  push(c: Buffer): void {
    const room = EXEC_STREAM_MAX_BYTES - this.sent - this.pendingBytes;
    if (room <= 0) return;
    const part = c.length > room ? c.subarray(0, room) : c;
    this.pending.push(part);
    this.pendingBytes += part.length;
  }

  private flush(): void {
    if (!this.pendingBytes) return;
    const all = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    for (let at = 0; at < all.length; at += EXEC_STREAM_CHUNK_BYTES) {
      const piece = all.subarray(at, at + EXEC_STREAM_CHUNK_BYTES);
      this.sent += piece.length;
      this.send(piece.toString('base64'));
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.pending = [];
  }
}

export class Commands {
  private readonly running = new Map<string, { pid: number; cancel: () => void }>();

  constructor(
    private readonly identity: Identity,
    private readonly workspace: Workspace,
    private readonly emit: (ev: DaemonEvent) => void = () => {},
  ) {}

  /** A command (`bash -c`, or an argv without a shell) as the user, in its own process group, in a confined cwd. */
  async spawn(a: CommandSpec): Promise<ChildProcess> {
    const cwd = await this.workspace.confine(a.cwd);
    const st = await this.identity.fs(() => fsp.stat(cwd)).catch(() => null);
    if (!st?.isDirectory()) throw new DaemonError(st ? E.notDir : E.notFound, `working directory ${a.cwd} does not exist or is not a folder`);
    if (a.env !== undefined && (typeof a.env !== 'object' || a.env === null || Object.values(a.env).some((v) => typeof v !== 'string'))) throw new DaemonError(E.badRequest, 'env must map names to strings');
    const env = { ...this.identity.userEnv, ...(a.env ?? {}) };
    const [file, args] = a.argv?.length ? [a.argv[0]!, a.argv.slice(1)] : ['/bin/bash', ['-c', a.command ?? '']];
    return this.identity.spawn(file, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  }

  async exec(a: ExecArgs & { execId: string }): Promise<ExecResult> {
    const started = Date.now();
    const oomBefore = oomKillCount();
    const half = Math.max(1024, Math.floor(a.capBytes / 2));
    const out = new Capture(half);
    const err = new Capture(half);
    const spill = new Spill(a.spillPath, a.capBytes, a.spillMaxBytes ?? 64 * 1024 * 1024);
    let timedOut = false;
    let cancelled = false;
    let terminating: Promise<void> = Promise.resolve();

    const child = await this.spawn(a);
    child.stdin!.on('error', () => {});
    if (a.stdin) child.stdin!.end(a.stdin);
    else child.stdin!.end();
    const live = a.stream ? new LiveOutput((data) => this.emit({ ev: 'execOutput', execId: a.execId, data })) : undefined;
    child.stdout!.on('data', (c: Buffer) => (out.push(c), spill.push(c), live?.push(c)));
    child.stderr!.on('data', (c: Buffer) => (err.push(c), spill.push(c), live?.push(c)));

    const pid = child.pid ?? 0;
    const timer = setTimeout(() => {
      timedOut = true;
      terminating = terminateGroup(pid);
    }, a.timeoutMs);
    this.running.set(a.execId, {
      pid,
      cancel: () => {
        cancelled = true;
        terminating = terminateGroup(pid, 300);
      },
    });

    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (c, s) => {
        // A background grandchild may keep the pipes open: give them a moment to drain, then stop waiting.
        const done = () => resolve([c, s]);
        if (child.stdout!.readableEnded && child.stderr!.readableEnded) return done();
        const t = setTimeout(() => {
          child.stdout!.destroy();
          child.stderr!.destroy();
          done();
        }, 100);
        child.once('close', () => (clearTimeout(t), done()));
      });
    }).finally(() => {
      clearTimeout(timer);
      live?.close();
      this.running.delete(a.execId);
    });
    // A timed-out or cancelled command is reported only once nothing of its process group is left.
    await terminating;
    const oomAfter = oomKillCount();
    return {
      exitCode: code,
      signal,
      stdout: out.result(),
      stderr: err.result(),
      durationMs: Date.now() - started,
      timedOut,
      cancelled,
      oomKilled: oomBefore >= 0 && oomAfter > oomBefore,
      spilledTo: spill.close(),
    };
  }

  cancel(execId: string): { found: boolean } {
    const e = this.running.get(execId);
    e?.cancel();
    return { found: !!e };
  }

  /** The host went away: stop every running command. */
  killAll(): void {
    for (const e of this.running.values()) killGroup(e.pid, 'SIGKILL');
  }
}
