// One chat panel's conversation and the agent run streaming into it: runs shared's agent loop with the
// server's tools behind the approval gate, turns its events into panel events, saves checkpoints.
// No VS Code API here: the provider, the tools, the approval mode and the store are handed in.
import { randomUUID } from 'node:crypto';
import { runAgent, type AgentEvent, type ImagePart, type Message, type ModelPrice, type ModelProvider } from '@suna/shared/agent/index';
import { addCallCost, type UsageMeter } from '../common/usage-meter.js';
import type { RoutingToolHost } from '@suna/shared/mcp-hub/index';
import { ApprovalGate } from '../common/approval-gate.js';
import { restoredText } from '../common/checkpoints.js';
import { changedPath, previewOf, type FileChange } from '../common/approval-preview.js';
import { labelOf, type Attachment } from '../common/attachments.js';
import { readAttachments } from './context-reader.js';
import { BackgroundOutput, startedProcessId } from './background-output.js';
import { approvalReason, deniedText, type ApprovalMode } from '../common/approvals.js';
import type { ConversationView, RunSummary } from '../common/protocol.js';
import { applyChatEvent, closeInterruptedRun, EMPTY_USAGE, titleFrom, addUsage, type ChatEvent, type UsageTotals } from '../common/transcript.js';
import { withExternalTools, type HintedToolHost } from './external-servers.js';
import type { RunNotice } from './external-hub.js';
import type { HistoryStore, StoredConversation } from './history-store.js';

export interface ChatSessionDeps {
  tools: HintedToolHost;
  /**
   * The external MCP servers' tools for one run, combined with `tools` behind the same approval gate;
   * `notice` puts their trouble into the transcript. Throws or undefined: the run goes on without them.
   */
  externalTools?(signal: AbortSignal, notice: RunNotice): Promise<{ host: RoutingToolHost; detach(): void } | undefined>;
  /** Builds the provider for `model` (reads the API key); throws with a message for the user. */
  provider(model: string): Promise<ModelProvider>;
  model(): string;
  approvalMode(): ApprovalMode;
  store: HistoryStore;
  /** Called when a run starts (the sync starts guarding the user's saves). */
  beforeRun?(): void;
  /** Called when a run ends (the sync pulls everything the agent changed). */
  afterRun?(): void;
  /** Takes a sandbox checkpoint before a run (after the sync settled): its id; undefined when the server has none; throws when it fails. */
  checkpoint?(label: string): Promise<string | undefined>;
  /** The workspace copy of a file (what the sandbox mirrors), for an approval's diff; undefined when absent or too large. */
  readWorkspaceText?(path: string): Promise<string | undefined>;
  /** Tools the user chose "Always allow" for in this workspace. */
  alwaysAllowed?(name: string): boolean;
  /** Remembers "Always allow" for a tool (a workspace setting). */
  allowAlways?(name: string): Promise<void>;
  /** The workspace folder attached files and folders are read from. */
  workspaceRoot?: string;
  /** How many calls wait for the user's decision, whenever that changes (badge, status bar). */
  onPendingApprovals?(count: number): void;
  maxSteps?: number;
  /** A background process's output or state changed (outside any run's stream): the panel applies it if it shows `conversationId`. */
  onBackgroundEvent?(conversationId: string, e: ChatEvent): void;
  /** The price of a model (`provider:model`) for the cost estimate; undefined when unknown. */
  priceOf?(model: string): ModelPrice | undefined;
}

interface ActiveRun {
  id: string;
  controller: AbortController;
  gate: ApprovalGate;
  sinks: Set<(e: ChatEvent) => void>;
  done: Promise<RunSummary>;
}

/** The messages with the user's text and images added (joined to a trailing user message, as the loop does with a task). */
function withUserParts(messages: Message[], text: string, images: ImagePart[]): Message[] {
  const out = structuredClone(messages);
  const parts = [{ type: 'text' as const, text }, ...images];
  const last = out[out.length - 1];
  if (last?.role === 'user') last.content.push(...parts);
  else out.push({ role: 'user', content: parts });
  return out;
}

export function newConversation(model: string): StoredConversation {
  const now = Date.now();
  return { version: 1, id: randomUUID(), title: 'New chat', createdAt: now, updatedAt: now, model, messages: [], items: [], usage: { ...EMPTY_USAGE } };
}

/** "Open diff" keeps the texts of this many recent file changes. */
const KEPT_CHANGES = 20;

export class ChatSession {
  conversation: StoredConversation;
  private active: ActiveRun | null = null;
  /** Before/after of recent file changes asked about, by call id, for VS Code's diff editor. */
  private readonly changes = new Map<string, FileChange>();

  /** Processes started by shell_start in this conversation, followed for their cards. */
  private readonly background: BackgroundOutput;

  constructor(private readonly deps: ChatSessionDeps, conversation?: StoredConversation) {
    this.conversation = conversation ?? newConversation(deps.model());
    this.background = new BackgroundOutput(deps.tools, (e) => {
      applyChatEvent(this.conversation.items, e);
      deps.onBackgroundEvent?.(this.conversation.id, e);
      if (e.type === 'process_output' && e.state && !this.active) void this.checkpoint();
    });
    // A run cut by a reload is shown as interrupted, with Continue (it goes on from the saved messages).
    if (conversation && closeInterruptedRun(conversation.items)) void this.checkpoint();
  }

  get running(): boolean {
    return this.active !== null;
  }

  view(): ConversationView {
    const c = this.conversation;
    return { id: c.id, title: c.title, items: c.items, usage: c.usage, meter: this.meter(c.usage), ...(this.active ? { runId: this.active.id } : {}) };
  }

  private meter(usage: UsageTotals): UsageMeter {
    const c = this.conversation;
    return { usage, ...(c.cost ? { cost: c.cost } : {}), ...(c.context ? { context: c.context } : {}) };
  }

  /**
   * Sends a user message and runs the agent; `sink` receives every panel event of the run. With `rewindTo`
   * (the index of a user item: edit-and-resend, Retry) the conversation first goes back to before that message.
   */
  send(text: string, sink: (e: ChatEvent) => void, rewindTo?: number, attachments: Attachment[] = []): Promise<RunSummary> {
    if (this.active) throw new Error('a run is already in progress: stop it first');
    const cut = rewindTo !== undefined ? this.rewind(rewindTo, text, sink) : undefined;
    const controller = new AbortController();
    const sinks = new Set([sink]);
    const emit = (e: ChatEvent) => {
      applyChatEvent(this.conversation.items, e);
      for (const s of sinks) s(e);
    };
    const denied = new Set<string>();
    // The gate is made now (decide() needs it); the external tools join once the run has them.
    const tools: { host: HintedToolHost } = { host: this.deps.tools };
    const inner = {
      listTools: () => tools.host.listTools(),
      // The call's live output (a running shell_exec) goes into its card.
      callTool: (n: string, a: Record<string, unknown>, s: AbortSignal, callId?: string) =>
        tools.host.callTool(n, a, s, callId ? { onOutput: (text: string) => emit({ type: 'tool_output', id: callId, text }) } : undefined),
    };
    const gate: ApprovalGate = new ApprovalGate(
      inner,
      () => this.deps.approvalMode(),
      (n) => tools.host.hintsOf(n),
      {
        onAsk: (id, name, args) => {
          const reason = tools.host.reasonOf?.(name) ?? approvalReason(tools.host.hintsOf(name));
          void this.previewFor(id, name, args).then((preview) => {
            emit({ type: 'tool_approval', id, reason, ...(preview ? { preview } : {}) });
            this.deps.onPendingApprovals?.(gate.pendingIds.length);
          });
        },
        onDecided: (id, approved) => {
          if (!approved) denied.add(id);
          emit({ type: 'tool_decided', id, approved });
          this.deps.onPendingApprovals?.(gate.pendingIds.length);
        },
      },
      (name) => this.deps.alwaysAllowed?.(name) ?? false,
    );
    const run: ActiveRun = { id: randomUUID(), controller, gate, sinks, done: Promise.resolve(null as never) };
    this.active = run;
    this.deps.beforeRun?.();
    run.done = this.execute(text, attachments, gate, controller.signal, emit, denied, tools, cut).finally(() => {
      if (this.active === run) this.active = null;
      this.deps.onPendingApprovals?.(0);
      this.deps.afterRun?.();
    });
    return run.done;
  }

  /**
   * Drops the user message at item `index` and everything after it, in the transcript and in the model messages.
   * Returns what the transcript says about it when an edit cut more than the message's own answer.
   */
  private rewind(index: number, text: string, sink: (e: ChatEvent) => void): string | undefined {
    const c = this.conversation;
    const item = c.items[index];
    if (item?.kind !== 'user') throw new Error('only a message you sent can be edited and sent again');
    if (item.messageIndex === undefined || item.messageIndex > c.messages.length) throw new Error('this message is from an older conversation and cannot be edited; send a new one');
    c.messages = c.messages.slice(0, item.messageIndex);
    const removed = c.items.splice(index);
    sink({ type: 'reset', items: c.items });
    const later = removed.filter((i) => i.kind === 'user').length - 1;
    if (text === item.text && !later) return undefined; // Retry: the same question again
    return later
      ? `Edited an earlier message: the ${later} later message${later === 1 ? '' : 's'} and their answers were removed from this conversation (changes already made in the sandbox stay).`
      : 'Edited and sent again: the previous answer was removed from this conversation.';
  }

  private async execute(
    text: string,
    attachments: Attachment[],
    gate: ApprovalGate,
    signal: AbortSignal,
    emit: (e: ChatEvent) => void,
    denied: Set<string>,
    tools: { host: HintedToolHost },
    cutNotice?: string,
  ): Promise<RunSummary> {
    const c = this.conversation;
    if (!c.messages.length) c.title = titleFrom(text);
    c.model = this.deps.model();
    emit({ type: 'user', text, messageIndex: c.messages.length, ...(attachments.length ? { attachments: attachments.map(labelOf) } : {}) });
    if (cutNotice) emit({ type: 'notice', level: 'info', text: cutNotice });
    c.updatedAt = Date.now();
    await this.takeRunCheckpoint(text, emit);
    await this.checkpoint();

    let provider: ModelProvider;
    try {
      provider = await this.deps.provider(c.model);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // The question is not kept for the model (it would be merged into the next one): it is marked failed, with Retry.
      emit({ type: 'end', reason: 'error', usage: { ...EMPTY_USAGE }, error: message, errorKind: /API key/i.test(message) ? 'auth' : 'config', unsent: true });
      await this.checkpoint();
      return { reason: 'error', usage: { ...EMPTY_USAGE }, error: message };
    }

    const external = await this.attachExternal(signal, emit);
    if (external) tools.host = withExternalTools(this.deps.tools, external.host);
    try {
      return await this.drive(text, attachments, provider, gate, signal, emit, denied);
    } finally {
      external?.detach();
    }
  }

  private async attachExternal(signal: AbortSignal, emit: (e: ChatEvent) => void): Promise<{ host: RoutingToolHost; detach(): void } | undefined> {
    try {
      return await this.deps.externalTools?.(signal, (level, text) => emit({ type: 'notice', level, text }));
    } catch (err) {
      emit({ type: 'notice', level: 'warning', text: `External MCP servers are unavailable (${err instanceof Error ? err.message : String(err)}); this run continues without them.` });
      return undefined;
    }
  }

  private async drive(
    text: string,
    attachments: Attachment[],
    provider: ModelProvider,
    gate: ApprovalGate,
    signal: AbortSignal,
    emit: (e: ChatEvent) => void,
    denied: Set<string>,
  ): Promise<RunSummary> {
    const c = this.conversation;
    const context = attachments.length ? await readAttachments(this.deps.workspaceRoot, attachments) : undefined;
    if (context?.skipped.length) emit({ type: 'notice', level: 'warning', text: `Not attached: ${context.skipped.join('; ')}.` });
    const task = context?.text ? `${context.text}\n\n${text}` : text;
    const images = context?.images ?? [];
    const run = runAgent({
      ...(images.length ? { messages: withUserParts(c.messages, task, images) } : { task, messages: c.messages }),
      tools: gate,
      provider,
      limits: { maxSteps: this.deps.maxSteps ?? 50 },
      signal,
    });
    const before = structuredClone(c.messages);
    let unsent = false;
    let summary: RunSummary = { reason: 'error', usage: { ...EMPTY_USAGE } };
    let sofar: UsageTotals = { ...EMPTY_USAGE };
    for await (const e of run) {
      if (e.type === 'usage') {
        // Each model call: its cost, and its prompt + answer as the context the next call starts from.
        sofar = addUsage(sofar, { ...e, steps: 1 });
        c.cost = addCallCost(c.cost, c.model, e, this.deps.priceOf?.(c.model));
        c.context = { tokens: e.inputTokens + e.outputTokens, window: provider.contextWindow };
        emit({ type: 'meter', meter: this.meter(addUsage(c.usage, sofar)) });
      }
      // A run that failed before the model said anything: the question goes back out of the messages.
      if (e.type === 'end' && e.reason === 'error') unsent = !run.messages.slice(before.length).some((m) => m.role === 'assistant');
      const mapped = this.map(e, gate, denied);
      if (mapped) emit(mapped.type === 'end' && unsent ? { ...mapped, unsent } : mapped);
      const processId = e.type === 'tool_call_end' ? startedProcessId(e.name, e.ok, e.text) : undefined;
      if (processId) this.background.follow((e as { id: string }).id, processId);
      if (e.type === 'tool_call_end') {
        c.messages = run.messages;
        await this.checkpoint();
      }
      if (e.type === 'end') {
        const usage = { inputTokens: e.usage.inputTokens, outputTokens: e.usage.outputTokens, cacheReadTokens: e.usage.cacheReadTokens ?? 0, cacheWriteTokens: e.usage.cacheWriteTokens ?? 0, steps: e.steps };
        summary = { reason: e.reason, usage, ...(e.error ? { error: e.error.message } : {}) };
        c.usage = addUsage(c.usage, usage);
        emit({ type: 'meter', meter: this.meter(c.usage) });
      }
    }
    c.messages = unsent ? before : run.messages;
    c.updatedAt = Date.now();
    await this.checkpoint();
    return summary;
  }

  private map(e: AgentEvent, gate: ApprovalGate, denied: Set<string>): ChatEvent | null {
    switch (e.type) {
      case 'text_delta':
        return { type: 'text', text: e.text };
      case 'tool_call_start':
        gate.announce(e.id, e.name, e.args);
        return { type: 'tool_start', id: e.id, name: e.name, args: e.args };
      case 'tool_call_end':
        return {
          type: 'tool_end',
          id: e.id,
          ok: e.ok,
          text: e.text,
          ...(e.images ? { images: e.images } : {}),
          // The tool's own time: the wait for the user's decision is not part of it.
          durationMs: Math.max(0, e.durationMs - gate.takeWaitMs(e.id)),
          ...(denied.has(e.id) || e.text === deniedText(e.name) ? { denied: true } : {}),
        };
      case 'retry':
        return { type: 'retry', reason: e.reason };
      case 'context_shortened':
        return { type: 'notice', level: 'info', text: `Older tool results were shortened to fit the model's context (${e.shortenedResults}).` };
      case 'end': {
        const usage = { inputTokens: e.usage.inputTokens, outputTokens: e.usage.outputTokens, cacheReadTokens: e.usage.cacheReadTokens ?? 0, cacheWriteTokens: e.usage.cacheWriteTokens ?? 0, steps: e.steps };
        return { type: 'end', reason: e.reason, usage, ...(e.error ? { error: e.error.message, errorKind: e.error.kind } : {}) };
      }
      default:
        return null;
    }
  }

  /** The sandbox checkpoint "Restore to here" and "Changes in this run" start from; a run without one says so. */
  private async takeRunCheckpoint(text: string, emit: (e: ChatEvent) => void): Promise<void> {
    if (!this.deps.checkpoint) return;
    const at = Date.now();
    try {
      const id = await this.deps.checkpoint(`panel: before "${titleFrom(text)}"`);
      if (id) emit({ type: 'checkpoint', id, at });
    } catch (err) {
      emit({ type: 'notice', level: 'warning', text: `No sandbox checkpoint before this run, so it cannot be restored: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  /** After "Restore to here" on the user item `index`: it and what follows are undone, and the model forgets them. */
  markRestored(index: number, before: string): void {
    const c = this.conversation;
    const item = c.items[index];
    if (this.active || item?.kind !== 'user') throw new Error('only a message you sent can be restored, with no run in progress');
    applyChatEvent(c.items, { type: 'restored', index, text: restoredText(item.text, before) });
    if (item.messageIndex !== undefined && item.messageIndex <= c.messages.length) c.messages = c.messages.slice(0, item.messageIndex);
    c.updatedAt = Date.now();
    void this.checkpoint();
  }

  private async checkpoint(): Promise<void> {
    await this.deps.store.save(this.conversation).catch(() => {});
  }

  /** Stops the model call and the running tool; pending approvals end as denied. */
  stop(): boolean {
    if (!this.active) return false;
    this.active.controller.abort();
    return true;
  }

  /** The user's Stop on a background process's card: kills it (through the server, as shell_kill). */
  stopProcess(callId: string, signal: AbortSignal): Promise<boolean> {
    return this.background.stop(callId, signal);
  }

  /** The conversation is closed (another one opened, the panel disposed): stops the run and following processes. */
  close(): void {
    this.stop();
    this.background.dispose();
  }

  /** The user's answer; `always` also remembers the tool as allowed in this workspace and lets its other waiting calls run. */
  async decide(callId: string, approve: boolean, always = false): Promise<boolean> {
    const gate = this.active?.gate;
    if (!gate) return false;
    const name = gate.pendingName(callId);
    if (always && approve && name) {
      await this.deps.allowAlways?.(name);
      for (const other of gate.pendingIds) if (other !== callId && gate.pendingName(other) === name) gate.decide(other, true);
    }
    return gate.decide(callId, approve);
  }

  /** Before/after of a file change a card asked about (for "Open diff"). */
  changeOf(callId: string): FileChange | undefined {
    return this.changes.get(callId);
  }

  private async previewFor(id: string, name: string, args: Record<string, unknown>) {
    const path = changedPath(name, args);
    const current = path ? await this.deps.readWorkspaceText?.(path).catch(() => undefined) : undefined;
    const { preview, change } = previewOf(name, args, current);
    if (change) {
      this.changes.set(id, change);
      for (const key of this.changes.keys()) if (this.changes.size > KEPT_CHANGES) this.changes.delete(key);
    }
    return preview;
  }

  /** Follows the current run from now on (a reloaded webview); null when nothing runs. */
  attach(sink: (e: ChatEvent) => void): Promise<RunSummary> | null {
    if (!this.active) return null;
    sink({ type: 'reset', items: this.conversation.items });
    this.active.sinks.add(sink);
    const run = this.active;
    return run.done.finally(() => run.sinks.delete(sink));
  }
}
