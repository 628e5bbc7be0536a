// What the chat panel shows, as data: the items of a conversation and the events that change them.
// The host applies the same events as the webview, so what is saved is exactly what was shown.
import type { ApprovalPreview } from './approval-preview.js';
import type { AttachmentLabel } from './attachments.js';
import { markRestored, setRunCheckpoint, type RunCheckpoint } from './checkpoints.js';

export interface UsageTotals {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  steps: number;
}

export interface CostEstimate {
  /** Dollars for the model calls whose price is known (usage-meter.ts adds them up). */
  usd: number;
  /** Models this conversation used that have no known price (their calls are not in `usd`). */
  unpriced: string[];
}

export interface ContextFill {
  /** The prompt and answer of the last model call: what the next call starts from. */
  tokens: number;
  /** The model's context window. */
  window: number;
}

/** Tokens, estimated cost and context fill of a conversation, for the toolbar. */
export interface UsageMeter {
  usage: UsageTotals;
  cost?: CostEstimate;
  context?: ContextFill;
}

export const EMPTY_USAGE: UsageTotals = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, steps: 0 };

export type ToolCardStatus = 'running' | 'awaiting-approval' | 'ok' | 'error' | 'denied' | 'cancelled';

export interface ToolCard {
  kind: 'tool';
  id: string;
  name: string;
  args: Record<string, unknown>;
  status: ToolCardStatus;
  /** Why it waits for approval ("changes files in the sandbox"). */
  approvalReason?: string;
  /** What the call would change (diff, command, URL), shown while it waits for approval and after. */
  preview?: ApprovalPreview;
  /** Set once the call ended. */
  result?: string;
  images?: Array<{ data: string; mimeType: string }>;
  durationMs?: number;
  /** What a running command printed so far (its tail); kept when it is stopped, dropped once the result has it. */
  output?: string;
  /** A background process this call started (shell_start), followed by the panel: its output goes to `output`. */
  background?: { processId: string; state: BackgroundState; note?: string };
}

/** `unfollowed`: the panel stopped following (limits, closed conversation, reload); the process may still run. */
export type BackgroundState = 'running' | 'ended' | 'stopped' | 'unfollowed';

/** `undone`: the user restored to before this item (checkpoints.ts): shown greyed, no longer part of what the model sees. */
export type ChatItem = { undone?: boolean } & (
  /**
   * `messageIndex`: where this turn starts in the model messages (edit-and-resend rewinds there); `failed`: never answered,
   * not kept for the model; `checkpoint`: the sandbox checkpoint taken before its run (Restore to here, Changes in this run).
   */
  | { kind: 'user'; text: string; messageIndex?: number; failed?: boolean; attachments?: AttachmentLabel[]; checkpoint?: RunCheckpoint }
  | { kind: 'assistant'; text: string; streaming: boolean }
  | ToolCard
  /** `retries`: set on the one line that counts the model call's retries. */
  | { kind: 'notice'; level: 'info' | 'warning' | 'error'; text: string; retries?: number }
  /** `errorKind` picks the action offered with the error (auth → Set API Key). */
  | { kind: 'run-end'; reason: string; usage: UsageTotals; error?: string; errorKind?: string }
);

export type ChatEvent =
  /** Replace everything (a webview attaching to a run already under way). */
  | { type: 'reset'; items: ChatItem[] }
  | { type: 'user'; text: string; messageIndex?: number; attachments?: AttachmentLabel[] }
  | { type: 'text'; text: string }
  /** The model call is repeated: this step's streamed text is void. */
  | { type: 'retry'; reason: string }
  | { type: 'tool_start'; id: string; name: string; args: Record<string, unknown> }
  | { type: 'tool_approval'; id: string; reason?: string; preview?: ApprovalPreview }
  | { type: 'tool_decided'; id: string; approved: boolean }
  /** A piece of a running call's output. */
  | { type: 'tool_output'; id: string; text: string }
  | { type: 'tool_end'; id: string; ok: boolean; text: string; images?: Array<{ data: string; mimeType: string }>; durationMs: number; denied?: boolean }
  | { type: 'notice'; level: 'info' | 'warning' | 'error'; text: string }
  /** The sandbox checkpoint taken before this run (set on its user message). */
  | { type: 'checkpoint'; id: string; at: number }
  /** The sandbox and workspace went back to before the user message at `index`: it and what follows are undone. */
  | { type: 'restored'; index: number; text: string }
  /** Output or a new state of a background process a finished call started (the card shows it under its result). */
  | { type: 'process_output'; id: string; processId?: string; text?: string; state?: BackgroundState; note?: string }
  /** The conversation's tokens, cost and context fill changed (after each model call); no item changes. */
  | { type: 'meter'; meter: UsageMeter }
  /** `unsent`: the run failed before the model answered: the question is marked failed (and not kept for the model). */
  | { type: 'end'; reason: string; usage: UsageTotals; error?: string; errorKind?: string; unsent?: boolean };

/** Caps that keep a long run from freezing the panel (Cline's grey-webview lesson): results are cut for display. */
export const MAX_RESULT_CHARS_SHOWN = 20_000;
export const MAX_IMAGES_PER_CARD = 4;
/** A card keeps the tail of its live output, up to this many characters. */
export const MAX_LIVE_OUTPUT_CHARS = 20_000;

function lastAssistant(items: ChatItem[]): Extract<ChatItem, { kind: 'assistant' }> | undefined {
  const last = items[items.length - 1];
  return last?.kind === 'assistant' && last.streaming ? last : undefined;
}

function closeStreaming(items: ChatItem[]): void {
  const a = lastAssistant(items);
  if (a) {
    a.streaming = false;
    if (!a.text.trim()) items.pop();
  }
}

function findCard(items: ChatItem[], id: string): ToolCard | undefined {
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i]!;
    if (it.kind === 'tool' && it.id === id) return it;
  }
  return undefined;
}

/** A long tool result keeps its start and its end in the panel (the middle is what is least often needed). */
function keepHeadAndTail(text: string): string {
  if (text.length <= MAX_RESULT_CHARS_SHOWN) return text;
  const half = MAX_RESULT_CHARS_SHOWN / 2;
  return `${text.slice(0, half)}\n[… ${(text.length - MAX_RESULT_CHARS_SHOWN).toLocaleString('en-US')} characters not shown …]\n${text.slice(-half)}`;
}

/** Applies one event to `items` in place and returns it. */
export function applyChatEvent(items: ChatItem[], e: ChatEvent): ChatItem[] {
  switch (e.type) {
    case 'reset':
      items.splice(0, items.length, ...structuredClone(e.items));
      break;
    case 'user':
      closeStreaming(items);
      items.push({ kind: 'user', text: e.text, ...(e.messageIndex !== undefined ? { messageIndex: e.messageIndex } : {}), ...(e.attachments?.length ? { attachments: e.attachments } : {}) });
      break;
    case 'text': {
      const a = lastAssistant(items);
      if (a) a.text += e.text;
      else items.push({ kind: 'assistant', text: e.text, streaming: true });
      break;
    }
    case 'retry': {
      const a = lastAssistant(items);
      if (a) items.pop();
      // One line that counts, not one line per attempt.
      const last = items[items.length - 1];
      const retries = last?.kind === 'notice' && last.retries ? last.retries + 1 : 1;
      const text = `Retrying the model call${retries > 1 ? ` (${retries} retries)` : ''}: ${e.reason}`;
      if (last?.kind === 'notice' && last.retries) Object.assign(last, { text, retries });
      else items.push({ kind: 'notice', level: 'warning', text, retries });
      break;
    }
    case 'tool_start':
      closeStreaming(items);
      items.push({ kind: 'tool', id: e.id, name: e.name, args: e.args, status: 'running' });
      break;
    case 'tool_approval': {
      const c = findCard(items, e.id);
      if (c && c.status === 'running') {
        c.status = 'awaiting-approval';
        if (e.reason) c.approvalReason = e.reason;
        if (e.preview) c.preview = e.preview;
      }
      break;
    }
    case 'tool_decided': {
      const c = findCard(items, e.id);
      if (c && c.status === 'awaiting-approval') c.status = e.approved ? 'running' : 'denied';
      break;
    }
    case 'tool_output': {
      const c = findCard(items, e.id);
      if (!c || c.status !== 'running') break;
      const all = (c.output ?? '') + e.text;
      c.output = all.length > MAX_LIVE_OUTPUT_CHARS ? all.slice(-MAX_LIVE_OUTPUT_CHARS) : all;
      break;
    }
    case 'process_output': {
      const c = findCard(items, e.id);
      if (!c || (!c.background && !e.processId)) break;
      c.background ??= { processId: e.processId!, state: 'running' };
      if (c.background.state !== 'running') break; // ended, stopped or unfollowed: nothing more is added
      if (e.text) {
        const all = (c.output ?? '') + e.text;
        c.output = all.length > MAX_LIVE_OUTPUT_CHARS ? all.slice(-MAX_LIVE_OUTPUT_CHARS) : all;
      }
      if (e.state) c.background.state = e.state;
      if (e.note) c.background.note = e.note.slice(0, 300);
      break;
    }
    case 'tool_end': {
      const c = findCard(items, e.id);
      if (!c) break;
      c.status = e.denied ? 'denied' : e.ok ? 'ok' : /^Cancelled/.test(e.text) ? 'cancelled' : 'error';
      // A finished command's result has its output; a stopped one keeps what was shown.
      if (c.status === 'ok') delete c.output;
      c.result = keepHeadAndTail(e.text);
      if (e.images?.length) c.images = e.images.slice(0, MAX_IMAGES_PER_CARD);
      c.durationMs = e.durationMs;
      break;
    }
    case 'notice':
      items.push({ kind: 'notice', level: e.level, text: e.text });
      break;
    case 'checkpoint':
      setRunCheckpoint(items, e.id, e.at);
      break;
    case 'restored':
      markRestored(items, e.index, e.text);
      break;
    case 'end':
      closeStreaming(items);
      for (const it of items) if (it.kind === 'tool' && (it.status === 'running' || it.status === 'awaiting-approval')) it.status = 'cancelled';
      if (e.unsent) {
        for (let i = items.length - 1; i >= 0; i--) {
          const it = items[i]!;
          if (it.kind === 'user') {
            it.failed = true;
            break;
          }
        }
      }
      items.push({ kind: 'run-end', reason: e.reason, usage: e.usage, ...(e.error ? { error: e.error } : {}), ...(e.errorKind ? { errorKind: e.errorKind } : {}) });
      break;
  }
  return items;
}

export function addUsage(a: UsageTotals, b: Partial<UsageTotals>): UsageTotals {
  return {
    inputTokens: a.inputTokens + (b.inputTokens ?? 0),
    outputTokens: a.outputTokens + (b.outputTokens ?? 0),
    cacheReadTokens: a.cacheReadTokens + (b.cacheReadTokens ?? 0),
    cacheWriteTokens: a.cacheWriteTokens + (b.cacheWriteTokens ?? 0),
    steps: a.steps + (b.steps ?? 0),
  };
}

/** "1,234 in · 56 out · 3 steps" */
export function formatUsage(u: UsageTotals): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const cache = u.cacheReadTokens ? ` (${n(u.cacheReadTokens)} cached)` : '';
  return `${n(u.inputTokens)} tokens in${cache} · ${n(u.outputTokens)} out · ${u.steps} step${u.steps === 1 ? '' : 's'}`;
}

/** "1.2k in · 56 out" for narrow places. */
export function formatUsageShort(u: UsageTotals): string {
  const n = (x: number) => (x >= 10_000 ? `${Math.round(x / 1000)}k` : x >= 1000 ? `${(x / 1000).toFixed(1)}k` : String(x));
  return `${n(u.inputTokens)} in · ${n(u.outputTokens)} out`;
}

/**
 * A saved conversation whose last run never ended (the window was reloaded or closed mid-run) gets its end:
 * reason `interrupted`, cards still running marked cancelled. The panel offers Continue for it. True if changed.
 */
export function closeInterruptedRun(items: ChatItem[]): boolean {
  // Processes followed before the reload are not followed any more (the process may still run).
  for (const it of items) if (it.kind === 'tool' && it.background?.state === 'running') Object.assign(it.background, { state: 'unfollowed', note: 'no longer followed after a reload' });
  const lastUser = items.findLastIndex((i) => i.kind === 'user');
  if (lastUser < 0 || items.findLastIndex((i) => i.kind === 'run-end') > lastUser) return false;
  applyChatEvent(items, { type: 'end', reason: 'interrupted', usage: { ...EMPTY_USAGE } });
  return true;
}

/** What the model is told when the user continues an interrupted run. */
export const CONTINUE_TEXT = 'The previous run was interrupted (the editor window was reloaded). Continue the task from where you stopped.';

/** A title from the first user message. */
export function titleFrom(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 60 ? `${line.slice(0, 57)}…` : line || 'New chat';
}
