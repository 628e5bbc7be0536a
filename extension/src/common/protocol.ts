// The one protocol between the extension host and the chat webview (Continue's pattern): a map from
// message type to [request, response, stream chunk], requests correlated by id, streamed answers sent as
// `{done:false, chunk}` … `{done:true, result}`, plus host → webview events. Adding a message is adding a
// line to a map; the compiler then points at the handler that is missing (Handlers<> needs every type).
import type { ApprovalMode } from './approvals.js';
import type { Attachment } from './attachments.js';
import type { ChatEvent, ChatItem, UsageTotals } from './transcript.js';
import type { UsageMeter } from './usage-meter.js';

// --------------------------------------------------------------------------------------- payload types

export interface ModelChoice {
  id: string;
  /** Whether an API key for its provider is stored (or none is needed). */
  hasKey: boolean;
}

export type ServerStatus = 'starting' | 'ready' | 'restarting' | 'error' | 'stopped';

export interface SyncIssue {
  path: string;
  reason: string;
}

export interface SyncStateView {
  state: 'off' | 'initial' | 'idle' | 'pushing' | 'pulling' | 'error';
  files: number;
  bytes: number;
  /** Files left out (size caps, unreadable); the first ones, with `skippedCount` the total. */
  skipped: SyncIssue[];
  skippedCount: number;
  /** Files both sides changed: shown in a diff editor with keep-mine / take-theirs. */
  conflicts: string[];
  /** Sensitive files the agent changed (.vscode/, .envrc, …): applied only when the user says so. */
  pending: string[];
  message?: string;
}

export interface HostState {
  server: { status: ServerStatus; mode: 'stdio' | 'http'; sandbox?: string; detail?: string };
  /** Set when the sandbox cannot start: what is missing and how to fix it (e.g. Docker is not running). */
  problem?: string;
  sync: SyncStateView;
  model: string;
  models: ModelChoice[];
  approvals: ApprovalMode;
}

export interface ConversationView {
  id: string;
  title: string;
  items: ChatItem[];
  usage: UsageTotals;
  /** Tokens, estimated cost and context fill, for the toolbar. */
  meter?: UsageMeter;
  /** Set while a run streams into this conversation. */
  runId?: string;
}

export interface ConversationSummary {
  id: string;
  title: string;
  updatedAt: number;
  items: number;
}

export interface RunSummary {
  reason: string;
  usage: UsageTotals;
  error?: string;
}

export type HostCommand = 'setApiKey' | 'restartServer' | 'pullNow' | 'showLog' | 'openSettings';

// ------------------------------------------------------------------------------------------ the maps

/** Requests the webview sends: type → [request, response, chunk (streamed requests only)]. */
export interface WebviewRequests {
  'ui/ready': [Record<string, never>, { state: HostState; conversation: ConversationView }];
  /** `rewindTo`: the index of a user item to replace (edit-and-resend, Retry): the conversation goes back to before it. */
  'chat/send': [{ text: string; rewindTo?: number; attachments?: Attachment[] }, RunSummary, ChatEvent];
  /** Context for the next message: a workspace file or folder (VS Code's picker), the editor selection, the problems list. */
  'context/pick': [Record<string, never>, Attachment | null];
  'context/selection': [Record<string, never>, Attachment | null];
  'context/problems': [Record<string, never>, Attachment | null];
  /** Follow the running run of the shown conversation (after a webview reload): first chunk is a reset. */
  'chat/attach': [Record<string, never>, RunSummary | null, ChatEvent];
  'chat/stop': [Record<string, never>, { stopped: boolean }];
  'chat/new': [Record<string, never>, ConversationView];
  'history/list': [Record<string, never>, ConversationSummary[]];
  'history/open': [{ id: string }, ConversationView];
  'history/delete': [{ id: string }, ConversationSummary[]];
  /** Approve / Deny a waiting call; `always` also allows the tool from now on in this workspace. */
  'tool/decide': [{ callId: string; approve: boolean; always?: boolean }, { ok: boolean }];
  /** Stop the background process a shell_start card follows (the user's Stop on that card). */
  'process/stop': [{ callId: string }, { ok: boolean }];
  /** Show the file change a card asks about in VS Code's diff editor. */
  'tool/openDiff': [{ callId: string }, { ok: boolean }];
  'model/select': [{ model: string }, HostState];
  'command/run': [{ command: HostCommand }, { ok: boolean }];
  'sync/open': [{ path: string }, { ok: boolean }];
  'sync/resolve': [{ path: string; choice: 'mine' | 'theirs' }, { ok: boolean }];
  /** A link in the model's answer, clicked by the user: web and mail links after VS Code asks, workspace paths in an editor. */
  'link/open': [{ href: string }, { ok: boolean }];
  /** A tool's image (a screenshot) opened full size in an editor tab. */
  'image/open': [{ mimeType: string; data: string }, { ok: boolean }];
  /** The user's Copy on a code block. */
  'clipboard/copy': [{ text: string }, { ok: boolean }];
  /** "Restore to here" on the user message at item `index` (the host asks first); the conversation as it is after. */
  'checkpoint/restore': [{ index: number }, { restored: boolean; conversation: ConversationView }];
  /** "Changes in this run" of the run that ended at the run-end item `index`; then a file's diff, or its Undo. */
  'checkpoint/changes': [{ index: number }, RunChangesView];
  'checkpoint/openDiff': [{ index: number; path: string }, { ok: boolean }];
  'checkpoint/undo': [{ index: number; path: string }, { ok: boolean }];
}

/** A run's changed workspace files (checked paths), and how many other changes are not listed. */
export interface RunChangesView {
  /** `userEdited`: the user saved this file too since the run began, so its change is not only the agent's. */
  files: Array<{ path: string; change: 'added' | 'changed' | 'removed'; userEdited?: boolean }>;
  notListed: number;
}

/** Events the host pushes without being asked: type → payload. */
export interface HostEvents {
  state: HostState;
  conversation: ConversationView;
  /** A change outside a run's stream (a background process's output), for the conversation shown. */
  chat: ChatEvent;
}

export type RequestType = keyof WebviewRequests;
export type RequestOf<K extends RequestType> = WebviewRequests[K][0];
export type ResponseOf<K extends RequestType> = WebviewRequests[K][1];
export type ChunkOf<K extends RequestType> = WebviewRequests[K] extends [unknown, unknown, infer C] ? C : never;

// --------------------------------------------------------------------------------------- the envelope

export type Envelope =
  | { t: 'req'; id: number; type: string; payload: unknown }
  | { t: 'res'; id: number; done: false; chunk: unknown }
  | { t: 'res'; id: number; done: true; result?: unknown; error?: string }
  | { t: 'cancel'; id: number }
  | { t: 'event'; type: string; payload: unknown };

/** Messages from the other side are checked before use: a webview is a browser page. */
export function isEnvelope(m: unknown): m is Envelope {
  if (typeof m !== 'object' || m === null) return false;
  const e = m as Record<string, unknown>;
  switch (e.t) {
    case 'req':
      return Number.isSafeInteger(e.id) && typeof e.type === 'string' && 'payload' in e;
    case 'res':
      return Number.isSafeInteger(e.id) && typeof e.done === 'boolean';
    case 'cancel':
      return Number.isSafeInteger(e.id);
    case 'event':
      return typeof e.type === 'string';
    default:
      return false;
  }
}

type Post = (message: Envelope) => void;

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

// ------------------------------------------------------------------------------------ webview side

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  onChunk?: (c: unknown) => void;
}

/** The webview's end: sends requests, receives answers, chunks and events. */
export class ProtocolClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();

  constructor(private readonly post: Post) {}

  request<K extends RequestType>(
    type: K,
    payload: RequestOf<K>,
    opts: { onChunk?: (chunk: ChunkOf<K>) => void; signal?: AbortSignal } = {},
  ): Promise<ResponseOf<K>> {
    const id = this.nextId++;
    return new Promise<ResponseOf<K>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onChunk: opts.onChunk as ((c: unknown) => void) | undefined });
      opts.signal?.addEventListener('abort', () => this.post({ t: 'cancel', id }), { once: true });
      this.post({ t: 'req', id, type, payload });
    });
  }

  on<E extends keyof HostEvents>(type: E, listener: (payload: HostEvents[E]) => void): () => void {
    const set = this.listeners.get(type) ?? new Set();
    this.listeners.set(type, set);
    set.add(listener as (p: unknown) => void);
    return () => set.delete(listener as (p: unknown) => void);
  }

  /** Feed every message from the host here. */
  receive(message: unknown): void {
    if (!isEnvelope(message)) return;
    if (message.t === 'event') {
      for (const l of this.listeners.get(message.type) ?? []) l(message.payload);
      return;
    }
    if (message.t !== 'res') return;
    const p = this.pending.get(message.id);
    if (!p) return;
    if (!message.done) {
      p.onChunk?.(message.chunk);
      return;
    }
    this.pending.delete(message.id);
    if (message.error !== undefined) p.reject(new ProtocolError(message.error));
    else p.resolve(message.result);
  }
}

// ------------------------------------------------------------------------------------------ host side

export interface RequestContext<K extends RequestType> {
  /** Send one stream chunk to the requester. */
  emit(chunk: ChunkOf<K>): void;
  /** Aborted when the webview cancels the request or goes away. */
  signal: AbortSignal;
}

export type Handlers = {
  [K in RequestType]: (payload: RequestOf<K>, ctx: RequestContext<K>) => Promise<ResponseOf<K>> | ResponseOf<K>;
};

/** The host's end: dispatches requests to one handler per type, and pushes events. */
export class ProtocolServer {
  private readonly inflight = new Map<number, AbortController>();

  constructor(
    private readonly post: Post,
    private readonly handlers: Handlers,
    private readonly onError: (type: string, err: unknown) => void = () => {},
  ) {}

  event<E extends keyof HostEvents>(type: E, payload: HostEvents[E]): void {
    this.post({ t: 'event', type, payload });
  }

  /** Abort every request in flight (the webview was disposed). */
  dispose(): void {
    for (const c of this.inflight.values()) c.abort();
    this.inflight.clear();
  }

  async receive(message: unknown): Promise<void> {
    if (!isEnvelope(message)) return;
    if (message.t === 'cancel') {
      this.inflight.get(message.id)?.abort();
      return;
    }
    if (message.t !== 'req') return;
    const { id, type } = message;
    const handler = Object.hasOwn(this.handlers, type) ? (this.handlers as Record<string, Handlers[RequestType]>)[type] : undefined;
    if (!handler) {
      this.post({ t: 'res', id, done: true, error: `unknown request type "${type}"` });
      return;
    }
    const controller = new AbortController();
    this.inflight.set(id, controller);
    const ctx = {
      signal: controller.signal,
      emit: (chunk: unknown) => {
        if (this.inflight.has(id)) this.post({ t: 'res', id, done: false, chunk });
      },
    };
    try {
      const result = await (handler as (p: unknown, c: typeof ctx) => unknown)(message.payload ?? {}, ctx);
      this.post({ t: 'res', id, done: true, result });
    } catch (err) {
      this.onError(type, err);
      this.post({ t: 'res', id, done: true, error: err instanceof Error ? err.message : String(err) });
    } finally {
      this.inflight.delete(id);
    }
  }
}
