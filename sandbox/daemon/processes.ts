// Background processes: started by `start`, kept with their recent output (a bounded ring), polled by `output`
// (optionally waiting for more), fed by `input`, stopped by `kill`. At most MAX_RUNNING at once.
import type { ChildProcess } from 'node:child_process';
import { OutputRing } from './capture.js';
import { DaemonError } from './errors.js';
import type { Commands } from './exec.js';
import { killGroup, terminateGroup } from './groups.js';
import { DaemonErrorCodes as E, type DaemonOps, type ProcessInfo } from './protocol.js';

const PROCESS_BUFFER_BYTES = 1024 * 1024; // retained output per background process
export const MAX_RUNNING = 64;

interface Proc {
  info: ProcessInfo;
  child: ChildProcess;
  output: OutputRing;
  waiters: Set<() => void>;
}

export class ProcessTable {
  private readonly procs = new Map<string, Proc>();
  private counter = 0;

  constructor(private readonly commands: Commands) {}

  private wake(p: Proc): void {
    for (const w of p.waiters) w();
    p.waiters.clear();
  }

  private get(id: unknown): Proc {
    const p = typeof id === 'string' ? this.procs.get(id) : undefined;
    if (!p) throw new DaemonError(E.noProcess, `no process ${String(id)}`);
    return p;
  }

  async start(a: DaemonOps['start'][0]): Promise<ProcessInfo> {
    if (typeof a.command !== 'string') throw new DaemonError(E.badRequest, 'command must be a string');
    if ([...this.procs.values()].filter((p) => p.info.running).length >= MAX_RUNNING)
      throw new DaemonError(E.tooMany, `too many background processes (${MAX_RUNNING}); stop some with shell_kill`);
    // Forget the oldest finished ones to keep memory bounded.
    for (const [id, p] of this.procs) if (this.procs.size >= MAX_RUNNING && !p.info.running) this.procs.delete(id);
    const child = await this.commands.spawn({ command: a.command, cwd: a.cwd, env: a.env });
    const processId = `p${++this.counter}`;
    const p: Proc = {
      info: {
        processId,
        name: a.name || a.command.slice(0, 60),
        command: a.command,
        pid: child.pid ?? 0,
        running: true,
        exitCode: null,
        signal: null,
        startedAt: Date.now(),
        outputBytes: 0,
      },
      child,
      output: new OutputRing(PROCESS_BUFFER_BYTES),
      waiters: new Set(),
    };
    const onData = (c: Buffer) => {
      p.output.push(c);
      p.info.outputBytes = p.output.totalBytes;
      this.wake(p);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.stdin!.on('error', () => {});
    child.on('error', (e) => onData(Buffer.from(`[suna: failed to start: ${e.message}]\n`)));
    child.on('exit', (code, signal) => {
      p.info.running = false;
      p.info.exitCode = code;
      p.info.signal = signal;
      setTimeout(() => this.wake(p), 50); // let the last output arrive first
    });
    this.procs.set(processId, p);
    return p.info;
  }

  async output(a: DaemonOps['output'][0]): Promise<DaemonOps['output'][1]> {
    const p = this.get(a.processId);
    const want = Math.max(0, Number(a.offset) || 0);
    if (want >= p.info.outputBytes && p.info.running && (Number(a.waitMs) || 0) > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => (p.waiters.delete(done), resolve()), Math.min(Number(a.waitMs), 600_000));
        const done = () => (clearTimeout(t), resolve());
        p.waiters.add(done);
      });
    }
    const { data, offset, droppedBytes } = p.output.read(want, Math.max(0, a.maxBytes ?? 256 * 1024));
    return {
      data: data.toString('base64'),
      offset,
      nextOffset: offset + data.length,
      droppedBytes,
      running: p.info.running,
      exitCode: p.info.exitCode,
      signal: p.info.signal,
    };
  }

  input(a: DaemonOps['input'][0]): DaemonOps['input'][1] {
    const p = this.get(a.processId);
    if (!p.info.running) throw new DaemonError(E.noProcess, `process ${a.processId} has exited`);
    const buf = Buffer.from(String(a.data), 'base64');
    p.child.stdin!.write(buf);
    return { written: buf.length };
  }

  kill(a: DaemonOps['kill'][0]): ProcessInfo {
    const p = this.get(a.processId);
    if (p.info.running) {
      const sig = (a.signal ?? 'SIGTERM') as NodeJS.Signals;
      if (sig === 'SIGTERM') void terminateGroup(p.info.pid);
      else killGroup(p.info.pid, sig);
    }
    return p.info;
  }

  list(): ProcessInfo[] {
    return [...this.procs.values()].map((p) => p.info);
  }

  /** The host went away: stop them all. */
  killAll(): void {
    for (const p of this.procs.values()) if (p.info.running) killGroup(p.info.pid, 'SIGKILL');
  }
}
