// One chat panel's conversation and the agent run streaming into it: runs shared's agent loop with the
// server's tools behind the approval gate, turns its events into panel events, saves checkpoints.
// No VS Code API here: the provider, the tools, the approval mode and the store are handed in.
import { randomUUID } from 'node:crypto';
import { runAgent, type AgentEvent, type ModelProvider } from '@suna/shared/agent/index';
import type { RoutingToolHost } from '@suna/shared/mcp-hub/index';
import { ApprovalGate } from '../common/approval-gate.js';
import { approvalReason, deniedText, type ApprovalMode } from '../common/approvals.js';
import type { ConversationView, RunSummary } from '../common/protocol.js';
import { applyChatEvent, EMPTY_USAGE, titleFrom, addUsage, type ChatEvent } from '../common/transcript.js';
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
  /** Called when a run ends (the sync pulls everything the agent changed). */
  afterRun?(): void;
  maxSteps?: number;
}

interface ActiveRun {
  id: string;
  controller: AbortController;
  gate: ApprovalGate;
  sinks: Set<(e: ChatEvent) => void>;
  done: Promise<RunSummary>;
}

export function newConversation(model: string): StoredConversation {
  const now = Date.now();
  return { version: 1, id: randomUUID(), title: 'New chat', createdAt: now, updatedAt: now, model, messages: [], items: [], usage: { ...EMPTY_USAGE } };
}

export class ChatSession {
  conversation: StoredConversation;
  private active: ActiveRun | null = null;

  constructor(private readonly deps: ChatSessionDeps, conversation?: StoredConversation) {
    this.conversation = conversation ?? newConversation(deps.model());
  }

  get running(): boolean {
    return this.active !== null;
  }

  view(): ConversationView {
    const c = this.conversation;
    return { id: c.id, title: c.title, items: c.items, usage: c.usage, ...(this.active ? { runId: this.active.id } : {}) };
  }

  /** Sends a user message and runs the agent; `sink` receives every panel event of the run. */
  send(text: string, sink: (e: ChatEvent) => void): Promise<RunSummary> {
    if (this.active) throw new Error('a run is already in progress: stop it first');
    const controller = new AbortController();
    const sinks = new Set([sink]);
    const emit = (e: ChatEvent) => {
      applyChatEvent(this.conversation.items, e);
      for (const s of sinks) s(e);
    };
    const denied = new Set<string>();
    // The gate is made now (decide() needs it); the external tools join once the run has them.
    const tools: { host: HintedToolHost } = { host: this.deps.tools };
    const inner = { listTools: () => tools.host.listTools(), callTool: (n: string, a: Record<string, unknown>, s: AbortSignal) => tools.host.callTool(n, a, s) };
    const gate = new ApprovalGate(inner, () => this.deps.approvalMode(), (n) => tools.host.hintsOf(n), {
      onAsk: (id, name) => emit({ type: 'tool_approval', id, reason: tools.host.reasonOf?.(name) ?? approvalReason(tools.host.hintsOf(name)) }),
      onDecided: (id, approved) => {
        if (!approved) denied.add(id);
        emit({ type: 'tool_decided', id, approved });
      },
    });
    const run: ActiveRun = { id: randomUUID(), controller, gate, sinks, done: Promise.resolve(null as never) };
    this.active = run;
    run.done = this.execute(text, gate, controller.signal, emit, denied, tools).finally(() => {
      if (this.active === run) this.active = null;
    });
    return run.done;
  }

  private async execute(
    text: string,
    gate: ApprovalGate,
    signal: AbortSignal,
    emit: (e: ChatEvent) => void,
    denied: Set<string>,
    tools: { host: HintedToolHost },
  ): Promise<RunSummary> {
    const c = this.conversation;
    if (!c.messages.length) c.title = titleFrom(text);
    c.model = this.deps.model();
    emit({ type: 'user', text });
    c.updatedAt = Date.now();
    await this.checkpoint();

    let provider: ModelProvider;
    try {
      provider = await this.deps.provider(c.model);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // Keep the question so the next send continues from it.
      c.messages.push({ role: 'user', content: [{ type: 'text', text }] });
      emit({ type: 'end', reason: 'error', usage: { ...EMPTY_USAGE }, error: message });
      await this.checkpoint();
      return { reason: 'error', usage: { ...EMPTY_USAGE }, error: message };
    }

    const external = await this.attachExternal(signal, emit);
    if (external) tools.host = withExternalTools(this.deps.tools, external.host);
    try {
      return await this.drive(text, provider, gate, signal, emit, denied);
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

  private async drive(text: string, provider: ModelProvider, gate: ApprovalGate, signal: AbortSignal, emit: (e: ChatEvent) => void, denied: Set<string>): Promise<RunSummary> {
    const c = this.conversation;
    const run = runAgent({
      task: text,
      messages: c.messages,
      tools: gate,
      provider,
      limits: { maxSteps: this.deps.maxSteps ?? 50 },
      signal,
    });
    let summary: RunSummary = { reason: 'error', usage: { ...EMPTY_USAGE } };
    for await (const e of run) {
      const mapped = this.map(e, gate, denied);
      if (mapped) emit(mapped);
      if (e.type === 'tool_call_end') {
        c.messages = run.messages;
        await this.checkpoint();
      }
      if (e.type === 'end') {
        const usage = { inputTokens: e.usage.inputTokens, outputTokens: e.usage.outputTokens, cacheReadTokens: e.usage.cacheReadTokens ?? 0, cacheWriteTokens: e.usage.cacheWriteTokens ?? 0, steps: e.steps };
        summary = { reason: e.reason, usage, ...(e.error ? { error: e.error.message } : {}) };
        c.usage = addUsage(c.usage, usage);
      }
    }
    c.messages = run.messages;
    c.updatedAt = Date.now();
    await this.checkpoint();
    this.deps.afterRun?.();
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
          durationMs: e.durationMs,
          ...(denied.has(e.id) || e.text === deniedText(e.name) ? { denied: true } : {}),
        };
      case 'retry':
        return { type: 'retry', reason: e.reason };
      case 'context_shortened':
        return { type: 'notice', level: 'info', text: `Older tool results were shortened to fit the model's context (${e.shortenedResults}).` };
      case 'end': {
        const usage = { inputTokens: e.usage.inputTokens, outputTokens: e.usage.outputTokens, cacheReadTokens: e.usage.cacheReadTokens ?? 0, cacheWriteTokens: e.usage.cacheWriteTokens ?? 0, steps: e.steps };
        return { type: 'end', reason: e.reason, usage, ...(e.error ? { error: e.error.message } : {}) };
      }
      default:
        return null;
    }
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

  decide(callId: string, approve: boolean): boolean {
    return this.active?.gate.decide(callId, approve) ?? false;
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
