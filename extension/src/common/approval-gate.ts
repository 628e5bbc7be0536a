// A ToolHost wrapper that holds each call the policy says to ask about until the user decides, and answers
// a denied call with a result that tells the model so. The agent loop announces every call (tool_call_start,
// with its id) before running it; the host passes that on with `announce`, and the gate pairs each
// callTool(name, args) with the oldest announced call of the same name and arguments.
import type { ToolHost, ToolResult, ToolSpec } from '@suna/shared/agent/index';
import { decide, deniedText, type ApprovalMode, type ToolHints } from './approvals.js';

export interface GateEvents {
  /** The call waits for Approve / Deny. */
  onAsk(callId: string, name: string, args: Record<string, unknown>): void;
  onDecided(callId: string, approved: boolean): void;
}

interface Waiting {
  resolve(approved: boolean): void;
}

/** The gate's inner host may take the call's id (to route a call's live output to its card). */
export type IdentifiedToolHost = ToolHost & { callTool(name: string, args: Record<string, unknown>, signal: AbortSignal, callId?: string): Promise<ToolResult> };

export class ApprovalGate implements ToolHost {
  private readonly announced: Array<{ id: string; name: string; key: string }> = [];
  private readonly waiting = new Map<string, Waiting & { name: string }>();
  /** How long each call waited for the user, so its shown duration is the tool's own. */
  private readonly waited = new Map<string, number>();

  constructor(
    private readonly inner: IdentifiedToolHost,
    private readonly mode: () => ApprovalMode,
    private readonly hintsOf: (name: string) => ToolHints | undefined,
    private readonly events: GateEvents,
    private readonly alwaysAllowed: (name: string) => boolean = () => false,
  ) {}

  listTools(): Promise<ToolSpec[]> {
    return this.inner.listTools();
  }

  /** The loop is about to run call `id`. */
  announce(id: string, name: string, args: Record<string, unknown>): void {
    this.announced.push({ id, name, key: keyOf(name, args) });
  }

  /** The user's answer for a waiting call; false when nothing waits under that id. */
  decide(callId: string, approved: boolean): boolean {
    const w = this.waiting.get(callId);
    if (!w) return false;
    this.waiting.delete(callId);
    w.resolve(approved);
    return true;
  }

  get pendingIds(): string[] {
    return [...this.waiting.keys()];
  }

  /** The tool name of a waiting call. */
  pendingName(callId: string): string | undefined {
    return this.waiting.get(callId)?.name;
  }

  /** Milliseconds call `id` spent waiting for the user (0 when it did not ask); read once. */
  takeWaitMs(callId: string): number {
    const ms = this.waited.get(callId) ?? 0;
    this.waited.delete(callId);
    return ms;
  }

  async callTool(name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<ToolResult> {
    const key = keyOf(name, args);
    const at = this.announced.findIndex((a) => a.key === key);
    const callId = at >= 0 ? this.announced.splice(at, 1)[0]!.id : undefined;
    if (decide(this.mode(), this.hintsOf(name), this.alwaysAllowed(name)) === 'ask') {
      // Without an id the user could not be asked in a card: refuse rather than run unasked.
      if (!callId) return { text: deniedText(name), isError: true };
      const asked = Date.now();
      const approved = await this.ask(callId, name, args, signal);
      this.waited.set(callId, Date.now() - asked);
      this.events.onDecided(callId, approved);
      if (!approved) return { text: deniedText(name), isError: true };
    }
    return this.inner.callTool(name, args, signal, callId);
  }

  private ask(callId: string, name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const onAbort = () => {
        this.waiting.delete(callId);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.set(callId, {
        name,
        resolve: (approved) => {
          signal.removeEventListener('abort', onAbort);
          resolve(approved);
        },
      });
      this.events.onAsk(callId, name, args);
    });
  }
}

function keyOf(name: string, args: Record<string, unknown>): string {
  return `${name}\u0000${stableJson(args)}`;
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
