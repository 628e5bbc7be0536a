// The code interpreter's daemon side: starts the Python driver (sandbox/kernel/driver.py, which owns the ipykernel)
// lazily as the agent user, through the same spawn path as commands, and talks to it in NDJSON. The driver runs
// as the agent, so the agent can kill it or write to its pipe: every line is bounded, answers must match a pending
// id and be an object, a driver that stops answering is killed after a deadline, and one that dies or floods the
// pipe is replaced on the next call. Runs are serialised (one kernel runs one cell at a time).
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DaemonError } from './errors.js';
import { oomKillCount, type Commands } from './exec.js';
import { LineSplitter } from './framing.js';
import { killGroup } from './groups.js';
import type { CodeRunArgs, CodeRunResult } from './protocol.js';

/** Bounds on the driver (tests lower them): its longest line (figures travel as base64 inside it), and the time
 *  beyond a run's own timeout it may take (kernel start imports IPython; then interrupt and restart). */
export const DRIVER_LIMITS = { lineBytes: 64 * 1024 * 1024, graceMs: 90_000 };
const STDERR_TAIL = 4096;

interface DriverProcess {
  child: ChildProcess;
  pending: Map<number, (answer: Record<string, unknown> | null) => void>;
  stderrTail: string;
  gone: boolean;
  /** It has answered a run, so a kernel with the agent's state existed. */
  ran: boolean;
}

/**
 * Whether /proc shows a live process: not gone, not a zombie, not already exiting (PF_EXITING in stat's flags) and
 * without a SIGKILL on its way (SigPnd/ShdPnd) — a driver the agent just killed is not one to send a run to.
 */
export function liveInProc(stat: string, status: string): boolean {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X' || fields[0] === 'x') return false;
  if (Number(fields[6]) & 0x4) return false; // PF_EXITING
  // Signal n is bit n-1 of the hex mask: SIGKILL (9) is 0x100, within the last three digits.
  for (const m of status.matchAll(/^(?:SigPnd|ShdPnd):\s*([0-9a-f]+)$/gm)) if (parseInt(m[1]!.slice(-3), 16) & 0x100) return false;
  return true;
}

function processRunning(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    return liveInProc(readFileSync(`/proc/${pid}/stat`, 'latin1'), readFileSync(`/proc/${pid}/status`, 'latin1'));
  } catch {
    return false;
  }
}

const emptyStream = { head: '', tail: '', total: 0 };

/** What a run reports when the driver itself went away (killed, flooded its pipe, stopped answering). */
function driverLost(): Omit<CodeRunResult, 'oomKilled'> {
  return { status: 'died', restart: 'driver', executionCount: null, stdout: emptyStream, stderr: emptyStream, result: null, displays: [], error: null };
}

export class CodeKernel {
  private driver: DriverProcess | undefined;
  private seq = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private currentRun: string | undefined;
  /** A driver that had run code went away since the last run: the agent's variables are gone. */
  private stateLost = false;

  /** `driverArgv`: how to start the driver (the daemon passes python3 -I -c with driver.py's source). */
  constructor(private readonly commands: Pick<Commands, 'spawn'>, private readonly workspaceRoot: string, private readonly driverArgv: string[]) {}

  run(a: CodeRunArgs): Promise<CodeRunResult> {
    if (typeof a.code !== 'string' || typeof a.runId !== 'string') throw new DaemonError('BAD_REQUEST', 'code and runId must be strings');
    return this.serial(async () => {
      this.currentRun = a.runId;
      const oomBefore = oomKillCount();
      try {
        const driver = await this.ensure();
        const timeoutMs = Math.max(100, Number(a.timeoutMs) || 60_000);
        const answer = await this.ask(driver, { op: 'run', code: a.code, timeout: timeoutMs / 1000, cap: Number(a.capChars) || 30_000, figdir: String(a.figureDir) }, timeoutMs + DRIVER_LIMITS.graceMs);
        const oomKilled = oomBefore >= 0 && oomKillCount() > oomBefore;
        if (!answer) {
          // Said in this answer: not news again on the next run (the driver's exit event may come later).
          driver.ran = false;
          this.stateLost = false;
          return { ...driverLost(), oomKilled };
        }
        driver.ran = true;
        const lost = this.stateLost;
        this.stateLost = false;
        // The host checks the whole shape; here only the facts the daemon itself knows are added.
        return { ...answer, ...(lost && answer.restart == null ? { restart: 'driver' } : {}), oomKilled } as unknown as CodeRunResult;
      } finally {
        this.currentRun = undefined;
      }
    });
  }

  /** Interrupt the run in progress (KeyboardInterrupt in the kernel; its state stays). */
  cancel(runId: string): { found: boolean } {
    const d = this.driver;
    if (!d || d.gone || this.currentRun !== runId) return { found: false };
    d.child.stdin?.write(JSON.stringify({ op: 'interrupt' }) + '\n');
    return { found: true };
  }

  /** Stop the kernel; the next run starts a fresh one. */
  reset(): Promise<{ restarted: boolean }> {
    return this.serial(async () => {
      const d = this.driver;
      if (!d || d.gone) return { restarted: false };
      const answer = await this.ask(d, { op: 'reset' }, 20_000);
      if (!answer) (d.ran = false), this.kill(d);
      this.stateLost = false; // asked for: not news to report on the next run
      return { restarted: true };
    });
  }

  /** The host went away: stop the driver (the kernel notices its parent is gone and exits). */
  killAll(): void {
    if (this.driver) this.kill(this.driver);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async ensure(): Promise<DriverProcess> {
    // Killed but not yet reaped (its exit event still queued), or a SIGKILL still being delivered: not a driver to
    // send a run to.
    if (this.driver && !this.driver.gone && !processRunning(this.driver.child.pid)) this.kill(this.driver);
    if (this.driver && !this.driver.gone) return this.driver;
    const child = await this.commands.spawn({ argv: this.driverArgv, cwd: this.workspaceRoot, env: { SUNA_KERNEL_CWD: this.workspaceRoot } });
    const d: DriverProcess = { child, pending: new Map(), stderrTail: '', gone: false, ran: false };
    const lose = () => {
      if (d.ran) this.stateLost = true;
      if (d.gone && !d.pending.size) return;
      d.gone = true;
      this.kill(d);
      for (const settle of d.pending.values()) settle(null);
      d.pending.clear();
    };
    const splitter = new LineSplitter((line) => this.answer(d, line), () => DRIVER_LIMITS.lineBytes, lose);
    child.stdout!.on('data', (c: Buffer) => splitter.push(c));
    child.stderr!.on('data', (c: Buffer) => (d.stderrTail = (d.stderrTail + c.toString('utf8')).slice(-STDERR_TAIL)));
    child.stdin!.on('error', () => {});
    child.on('error', lose);
    child.on('exit', lose);
    this.driver = d;
    return d;
  }

  /** One line from the driver: an answer to a pending request, or nothing (forged ids and garbage are dropped). */
  private answer(d: DriverProcess, line: Buffer): void {
    let msg: unknown;
    try {
      msg = JSON.parse(line.toString('utf8'));
    } catch {
      return;
    }
    const { id, ok, result, error } = (typeof msg === 'object' && msg !== null ? msg : {}) as Record<string, unknown>;
    const settle = typeof id === 'number' ? d.pending.get(id) : undefined;
    if (!settle) return;
    d.pending.delete(id as number);
    if (ok === true && typeof result === 'object' && result !== null && !Array.isArray(result)) settle(result as Record<string, unknown>);
    else settle({ failed: typeof error === 'string' ? error.slice(0, 1000) : 'malformed answer' });
  }

  /** Send one request; resolves with the answer, or null when the driver went away or missed the deadline. */
  private ask(d: DriverProcess, req: Record<string, unknown>, deadlineMs: number): Promise<Record<string, unknown> | null> {
    const id = ++this.seq;
    return new Promise<Record<string, unknown> | null>((resolve) => {
      const timer = setTimeout(() => (d.pending.delete(id), this.kill(d), resolve(null)), deadlineMs);
      d.pending.set(id, (answer) => (clearTimeout(timer), resolve(answer)));
      d.child.stdin!.write(JSON.stringify({ id, ...req }) + '\n');
    }).then((answer) => {
      if (answer && 'failed' in answer) throw new DaemonError('KERNEL_FAILED', `the Python kernel could not run the code: ${String(answer.failed)}`);
      return answer;
    });
  }

  private kill(d: DriverProcess): void {
    if (d.ran) this.stateLost = true;
    d.gone = true;
    if (d.child.pid) killGroup(d.child.pid, 'SIGKILL');
  }
}
