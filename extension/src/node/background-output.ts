// Live output of background processes (`shell_start`): after the call returns its process id, the panel
// follows the process with `shell_output` at explicit offsets (which leave the model's own read cursor
// alone) and streams what it prints into the call's card, until the process ends, the user stops it, or a
// bound is hit (time, number of followed processes). The output is sandbox text: it is only ever shown as
// text, kept as a bounded tail (transcript.ts), and each read is capped here.
import type { ToolHost } from '@suna/shared/agent/index';
import type { BackgroundState, ChatEvent } from '../common/transcript.js';

export interface BackgroundLimits {
  /** Processes followed at once; more are left to the model's own shell_output calls. */
  maxFollowed: number;
  /** How long one process is followed. */
  maxFollowMs: number;
  /** How long each shell_output call waits for output. */
  waitSeconds: number;
  /** Characters of one read passed on (the card keeps a tail anyway). */
  maxReadChars: number;
}

export const DEFAULT_BACKGROUND_LIMITS: BackgroundLimits = { maxFollowed: 4, maxFollowMs: 30 * 60_000, waitSeconds: 5, maxReadChars: 64_000 };

const PROCESS_ID = /^started ([A-Za-z0-9_.-]{1,40}) \(pid \d+\)/;

/** The process id in a successful shell_start result, if the text has the server's shape. */
export function startedProcessId(name: string, ok: boolean, text: string): string | undefined {
  return name === 'shell_start' && ok ? PROCESS_ID.exec(text)?.[1] : undefined;
}

/** One shell_output answer: its status line, an optional "dropped" line, then the new output. */
export function parseOutputRead(text: string): { running: boolean; nextOffset: number; output: string; status: string } | undefined {
  const nl = text.indexOf('\n');
  const head = nl < 0 ? text : text.slice(0, nl);
  const m = /^[A-Za-z0-9_.-]{1,40}: (running|exited[^;\n]{0,80}); next_offset (\d{1,15})$/.exec(head);
  if (!m) return undefined;
  let rest = nl < 0 ? '' : text.slice(nl + 1);
  rest = rest.replace(/^\(\d+ older bytes were dropped from the buffer\)\n/, '');
  return { running: m[1] === 'running', status: m[1]!, nextOffset: Number(m[2]), output: rest === '(no new output)' ? '' : rest };
}

interface Followed {
  processId: string;
  controller: AbortController;
}

export class BackgroundOutput {
  private readonly followed = new Map<string, Followed>();

  constructor(
    private readonly tools: Pick<ToolHost, 'callTool'>,
    private readonly emit: (e: ChatEvent) => void,
    private readonly limits: BackgroundLimits = DEFAULT_BACKGROUND_LIMITS,
  ) {}

  get count(): number {
    return this.followed.size;
  }

  /** Starts following the process a shell_start call (card `callId`) started. */
  follow(callId: string, processId: string): void {
    if (this.followed.has(callId)) return;
    if (this.followed.size >= this.limits.maxFollowed) {
      this.emit({ type: 'process_output', id: callId, processId, state: 'unfollowed', note: `the panel follows at most ${this.limits.maxFollowed} processes at once` });
      return;
    }
    const f = { processId, controller: new AbortController() };
    this.followed.set(callId, f);
    this.emit({ type: 'process_output', id: callId, processId, state: 'running' });
    void this.poll(callId, f).finally(() => {
      if (this.followed.get(callId) === f) this.followed.delete(callId);
    });
  }

  private async poll(callId: string, f: Followed): Promise<void> {
    const deadline = Date.now() + this.limits.maxFollowMs;
    const signal = f.controller.signal;
    let offset = 0;
    let failures = 0;
    while (!signal.aborted) {
      if (Date.now() > deadline) {
        this.emit({ type: 'process_output', id: callId, state: 'unfollowed', note: 'no longer followed (time limit); shell_output reads the rest' });
        return;
      }
      let read: ReturnType<typeof parseOutputRead>;
      try {
        const r = await this.tools.callTool('shell_output', { process_id: f.processId, offset, wait_s: this.limits.waitSeconds }, signal);
        read = r.isError ? undefined : parseOutputRead(r.text);
      } catch {
        read = undefined;
      }
      if (signal.aborted) return;
      if (!read) {
        // The process is gone (sandbox reset) or the server is away: a few tries, then say so.
        if (++failures >= 3) {
          this.emit({ type: 'process_output', id: callId, state: 'unfollowed', note: 'its output can no longer be read' });
          return;
        }
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      failures = 0;
      // A server that does not move forward (or moves backwards) is not followed further.
      if (read.nextOffset < offset) return void this.emit({ type: 'process_output', id: callId, state: 'unfollowed', note: 'its output went backwards' });
      offset = read.nextOffset;
      const text = read.output.length > this.limits.maxReadChars ? read.output.slice(-this.limits.maxReadChars) : read.output;
      if (!read.running) {
        this.emit({ type: 'process_output', id: callId, ...(text ? { text } : {}), state: 'ended', note: read.status });
        return;
      }
      if (text) this.emit({ type: 'process_output', id: callId, text });
      else await new Promise((r) => setTimeout(r, 250)); // wait_s returned early with nothing: do not spin
    }
  }

  /** The user's Stop on the card: the process is killed; its card keeps what was shown. */
  async stop(callId: string, signal: AbortSignal): Promise<boolean> {
    const f = this.followed.get(callId);
    if (!f) return false;
    f.controller.abort();
    this.followed.delete(callId);
    const r = await this.tools.callTool('shell_kill', { process_id: f.processId }, signal).catch((err: unknown) => ({ text: String(err), isError: true }));
    this.emit({ type: 'process_output', id: callId, state: 'stopped', note: r.isError ? `stop failed: ${r.text.slice(0, 200)}` : 'stopped by you' });
    return !r.isError;
  }

  /** Stops following everything (the conversation is closed); the processes keep running. */
  dispose(): void {
    for (const [id, f] of this.followed) {
      f.controller.abort();
      this.emit({ type: 'process_output', id, state: 'unfollowed', note: 'no longer followed' });
    }
    this.followed.clear();
  }
}

export type { BackgroundState };
