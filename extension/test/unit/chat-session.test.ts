// The chat panel's run logic with the real agent loop and the real Anthropic SDK against the fake model
// server, tools in memory: streaming, tool cards, approvals, denial reported to the model, stop, history.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProvider } from '@suna/shared/agent/index';
import { annotationsFor } from '@suna/shared/tool-kinds';
import { anthropicBody, startFakeModelServer, type FakeModelServer } from '../../../shared/test/fixtures/fake-model-server.ts';
import { delay, MemoryToolHost } from '../../../shared/test/fixtures/memory-tools.ts';
import type { ApprovalMode } from '../../src/common/approvals.ts';
import { CONTINUE_TEXT, type ChatEvent } from '../../src/common/transcript.ts';
import { ChatSession, newConversation } from '../../src/node/chat-session.ts';
import { HistoryStore } from '../../src/node/history-store.ts';

function tools() {
  const host = new MemoryToolHost([
    { name: 'file_read', readOnly: true, run: (a) => ({ text: `contents of ${String(a.path)}` }) },
    { name: 'file_write', readOnly: false, run: (a) => ({ text: `wrote ${String(a.path)}` }) },
    { name: 'shell_exec', readOnly: false, run: async (_a, signal) => (await delay(5000, signal), { text: 'slow done' }) },
  ]);
  return Object.assign(host, { hintsOf: (n: string) => annotationsFor(n === 'file_read' ? 'read' : n === 'shell_exec' ? 'exec' : 'write') });
}

describe('chat session (agent loop + approvals + history)', () => {
  let fake: FakeModelServer;
  let dir: string;
  let mode: ApprovalMode;
  let writes: number;
  const session = (store = new HistoryStore(dir)) =>
    new ChatSession({
      tools: tools(),
      provider: async (m) => createProvider(m, { apiKey: 'test-key', baseURL: fake.anthropicBaseURL }),
      model: () => 'anthropic:claude-sonnet-5-5',
      approvalMode: () => mode,
      store,
      afterRun: () => writes++,
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'suna-chat-'));
    mode = 'auto-read';
    writes = 0;
  });
  afterEach(async () => {
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('streams text and a card per tool call; a write waits for Approve and then runs', async () => {
    fake = await startFakeModelServer([
      { text: 'Reading first.', toolCalls: [{ id: 't1', name: 'file_read', args: { path: 'a.txt' } }], usage: { input: 100, output: 10 } },
      { toolCalls: [{ id: 't2', name: 'file_write', args: { path: 'b.txt', content: 'x' } }], usage: { input: 120, output: 12 } },
      { text: 'All done.', usage: { input: 140, output: 5 } },
    ]);
    const s = session();
    const events: ChatEvent[] = [];
    const summary = await s.send('please work', (e) => {
      events.push(e);
      if (e.type === 'tool_approval') queueMicrotask(() => s.decide(e.id, true));
    });
    assert.equal(summary.reason, 'final_answer');
    assert.deepEqual(summary.usage, { inputTokens: 360, outputTokens: 27, cacheReadTokens: 0, cacheWriteTokens: 0, steps: 3 });
    const types = events.map((e) => e.type);
    assert.ok(types.indexOf('tool_approval') > types.indexOf('tool_start'), 'approval comes after the card');
    assert.deepEqual(events.filter((e) => e.type === 'tool_approval').map((e) => (e as { id: string }).id), ['t2'], 'the read-only call ran unasked');
    const cards = s.conversation.items.filter((i) => i.kind === 'tool');
    assert.deepEqual(cards.map((c) => [c.kind === 'tool' && c.name, c.kind === 'tool' && c.status, c.kind === 'tool' && c.result]), [
      ['file_read', 'ok', 'contents of a.txt'],
      ['file_write', 'ok', 'wrote b.txt'],
    ]);
    const texts = s.conversation.items.filter((i) => i.kind === 'assistant').map((i) => i.kind === 'assistant' && i.text);
    assert.deepEqual(texts, ['Reading first.', 'All done.']);
    assert.equal(writes, 1, 'the sync is told when the run ends');
  });

  it('a denied call is not run and the model is told it was denied', async () => {
    fake = await startFakeModelServer([{ toolCalls: [{ id: 'w', name: 'file_write', args: { path: 'x', content: 'y' } }] }, { text: 'OK, I will not.' }]);
    const s = session();
    await s.send('write it', (e) => {
      if (e.type === 'tool_approval') queueMicrotask(() => s.decide(e.id, false));
    });
    const card = s.conversation.items.find((i) => i.kind === 'tool');
    assert.equal(card?.kind === 'tool' && card.status, 'denied');
    const second = anthropicBody(fake.modelRequests()[1]!);
    assert.match(JSON.stringify(second.messages.at(-1)), /denied this file_write call/);
  });

  it('stop cancels the running tool and ends the run as cancelled; the transcript says so', async () => {
    mode = 'auto';
    fake = await startFakeModelServer([{ toolCalls: [{ id: 's', name: 'shell_exec', args: { command: 'sleep 60' } }] }]);
    const s = session();
    const started = Date.now();
    const p = s.send('run it', (e) => {
      if (e.type === 'tool_start') setTimeout(() => s.stop(), 50);
    });
    const summary = await p;
    assert.equal(summary.reason, 'cancelled');
    assert.ok(Date.now() - started < 3000, 'did not wait for the tool');
    const card = s.conversation.items.find((i) => i.kind === 'tool');
    assert.equal(card?.kind === 'tool' && card.status, 'cancelled');
    assert.equal(s.running, false);
  });

  it('stop during streaming keeps the text the user saw, and history reloads exactly what was shown', async () => {
    fake = await startFakeModelServer([{ text: 'This is a long answer that streams slowly. '.repeat(10), chunkDelayMs: 20 }]);
    const store = new HistoryStore(dir);
    const s = session(store);
    let chunks = 0;
    const summary = await s.send('tell me', (e) => {
      if (e.type === 'text' && ++chunks === 5) s.stop();
    });
    assert.equal(summary.reason, 'cancelled');
    const saved = await store.load(s.conversation.id);
    assert.ok(saved);
    assert.deepEqual(saved.items, s.conversation.items);
    const answer = saved.items.find((i) => i.kind === 'assistant');
    assert.ok(answer?.kind === 'assistant' && answer.text.startsWith('This is a long') && !answer.streaming);
    assert.equal((await store.list())[0]?.title, 'tell me');
  });

  it('a missing API key ends the run with the fix and marks the question failed (not kept for the model)', async () => {
    fake = await startFakeModelServer([]);
    const s = new ChatSession({
      tools: tools(),
      provider: async () => {
        throw new Error('No Anthropic API key: run "Suna: Set API Key"');
      },
      model: () => 'anthropic:claude-sonnet-5-5',
      approvalMode: () => 'ask',
      store: new HistoryStore(dir),
    });
    const summary = await s.send('hi', () => {});
    assert.match(summary.error!, /Set API Key/);
    assert.equal(s.conversation.messages.length, 0, 'the unanswered question is not kept for the model');
    const user = s.conversation.items.find((i) => i.kind === 'user');
    assert.ok(user?.kind === 'user' && user.failed, 'it is marked failed in the panel');
    const end = s.conversation.items.at(-1);
    assert.ok(end?.kind === 'run-end' && end.errorKind === 'auth', 'with the Set API Key action');
  });
});

describe('chat session approvals: preview, Always allow, duration without the wait', () => {
  let fake: FakeModelServer;
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'suna-chat-'))));
  afterEach(async () => {
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a file_edit card carries the diff against the workspace copy; Always allow runs the next call unasked; the wait is not in the duration', async () => {
    fake = await startFakeModelServer([
      { toolCalls: [{ id: 'e1', name: 'file_write', args: { path: 'notes.txt', content: 'alpha\nBETA\n' } }] },
      { toolCalls: [{ id: 'e2', name: 'file_write', args: { path: 'other.txt', content: 'x' } }] },
      { text: 'done' },
    ]);
    const allowed = new Set<string>();
    const pending: number[] = [];
    const s = new ChatSession({
      tools: tools(),
      provider: async (m) => createProvider(m, { apiKey: 'test-key', baseURL: fake.anthropicBaseURL }),
      model: () => 'anthropic:claude-sonnet-5-5',
      approvalMode: () => 'ask',
      store: new HistoryStore(dir),
      readWorkspaceText: async (p) => (p === 'notes.txt' ? 'alpha\nbeta\n' : undefined),
      alwaysAllowed: (n) => allowed.has(n),
      allowAlways: async (n) => void allowed.add(n),
      onPendingApprovals: (n) => pending.push(n),
    });
    const asked: string[] = [];
    await s.send('edit', (e) => {
      if (e.type === 'tool_approval') {
        asked.push(e.id);
        setTimeout(() => void s.decide(e.id, true, true), 1500);
      }
    });
    assert.deepEqual(asked, ['e1'], 'the second file_write ran without asking');
    assert.deepEqual([...allowed], ['file_write']);
    const card = s.conversation.items.find((i) => i.kind === 'tool' && i.id === 'e1');
    assert.ok(card?.kind === 'tool' && card.preview?.kind === 'diff');
    assert.match(card.preview.patch, /-beta\n\+BETA/);
    assert.ok(card.durationMs! < 1500, `duration ${card.durationMs} ms excludes the 1.5 s wait`);
    assert.deepEqual(s.changeOf('e1'), { path: 'notes.txt', before: 'alpha\nbeta\n', after: 'alpha\nBETA\n' });
    assert.ok(pending.includes(1) && pending.at(-1) === 0, `pending counts ${pending}`);
  });
});

describe('chat session errors: nothing merged, Retry and edit-and-resend', () => {
  let fake: FakeModelServer;
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'suna-chat-'))));
  afterEach(async () => {
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const session = () =>
    new ChatSession({
      tools: tools(),
      provider: async (m) => createProvider(m, { apiKey: 'test-key', baseURL: fake.anthropicBaseURL }),
      model: () => 'anthropic:claude-sonnet-5-5',
      approvalMode: () => 'auto',
      store: new HistoryStore(dir),
    });
  const userTexts = (body: { messages: Array<{ role: string; content: unknown }> }) => body.messages.filter((m) => m.role === 'user').map((m) => JSON.stringify(m.content));

  it('a 401 marks the question failed with Set API Key; the next message is not merged with it; Retry resends it alone', async () => {
    fake = await startFakeModelServer([{ error: { status: 401 } }, { text: 'second answered' }, { text: 'first answered' }]);
    const s = session();
    const failed = await s.send('first question', () => {});
    assert.equal(failed.reason, 'error');
    const end = s.conversation.items.at(-1);
    assert.ok(end?.kind === 'run-end' && end.errorKind === 'auth', JSON.stringify(end));
    assert.ok(s.conversation.items.some((i) => i.kind === 'user' && i.text === 'first question' && i.failed));

    await s.send('second question', () => {});
    const second = anthropicBody(fake.modelRequests()[1]!);
    assert.deepEqual(userTexts(second).length, 1);
    assert.doesNotMatch(JSON.stringify(second.messages), /first question/, 'the failed question is not merged into the next');

    // Edit-and-resend the last message: the conversation rewinds to before it.
    const at = s.conversation.items.findIndex((i) => i.kind === 'user' && i.text === 'second question');
    const events: ChatEvent[] = [];
    await s.send('first question', (e) => events.push(e), at);
    assert.equal(events[0]?.type, 'reset');
    const third = anthropicBody(fake.modelRequests()[2]!);
    assert.equal(userTexts(third).length, 1);
    assert.match(JSON.stringify(third.messages), /first question/);
    assert.doesNotMatch(JSON.stringify(third.messages), /second/);
    assert.deepEqual(
      s.conversation.items.filter((i) => i.kind === 'user' || i.kind === 'assistant').map((i) => (i.kind === 'user' || i.kind === 'assistant') && i.text),
      ['first question', 'first question', 'first answered'],
    );
  });

  it('rewinding refuses an item that is not a message the user sent', async () => {
    fake = await startFakeModelServer([{ text: 'hi' }]);
    const s = session();
    await s.send('hello', () => {});
    assert.throws(() => s.send('x', () => {}, 1), /only a message you sent/);
    assert.equal(s.running, false);
  });
});

describe('chat session live output', () => {
  let fake: FakeModelServer;
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'suna-chat-'))));
  afterEach(async () => {
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a call's streamed output reaches its own card while it runs", async () => {
    fake = await startFakeModelServer([{ toolCalls: [{ id: 'sh', name: 'shell_exec', args: { command: 'make' } }] }, { text: 'built' }]);
    const base = tools();
    const host = Object.assign(Object.create(base) as typeof base, {
      async callTool(_n: string, _a: Record<string, unknown>, _s: AbortSignal, observe?: { onOutput?(t: string): void }) {
        observe?.onOutput?.('compiling a\n');
        observe?.onOutput?.('compiling b\n');
        return { text: 'exit code 0' };
      },
      listTools: () => base.listTools(),
      hintsOf: base.hintsOf,
    });
    const s = new ChatSession({
      tools: host,
      provider: async (m) => createProvider(m, { apiKey: 'test-key', baseURL: fake.anthropicBaseURL }),
      model: () => 'anthropic:claude-sonnet-5-5',
      approvalMode: () => 'auto',
      store: new HistoryStore(dir),
    });
    const outputs: ChatEvent[] = [];
    await s.send('build', (e) => e.type === 'tool_output' && outputs.push(e));
    assert.deepEqual(outputs, [
      { type: 'tool_output', id: 'sh', text: 'compiling a\n' },
      { type: 'tool_output', id: 'sh', text: 'compiling b\n' },
    ]);
  });
});

describe('chat session after a window reload', () => {
  let fake: FakeModelServer;
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'suna-chat-'))));
  afterEach(async () => {
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a conversation saved mid-run opens as interrupted and Continue goes on from its saved messages', async () => {
    fake = await startFakeModelServer([{ text: 'Continuing: done.' }]);
    const store = new HistoryStore(dir);
    const stored = newConversation('anthropic:claude-sonnet-5-5');
    stored.messages = [
      { role: 'user', content: [{ type: 'text', text: 'run the build' }] },
      { role: 'assistant', content: [{ type: 'tool_call', id: 'b1', name: 'shell_exec', args: { command: 'make' } }] },
    ];
    stored.items = [
      { kind: 'user', text: 'run the build', messageIndex: 0 },
      { kind: 'tool', id: 'b1', name: 'shell_exec', args: { command: 'make' }, status: 'running' },
    ];
    const s = new ChatSession(
      {
        tools: tools(),
        provider: async (m) => createProvider(m, { apiKey: 'test-key', baseURL: fake.anthropicBaseURL }),
        model: () => 'anthropic:claude-sonnet-5-5',
        approvalMode: () => 'auto',
        store,
      },
      stored,
    );
    const end = s.conversation.items.at(-1);
    assert.ok(end?.kind === 'run-end' && end.reason === 'interrupted');
    const summary = await s.send(CONTINUE_TEXT, () => {});
    assert.equal(summary.reason, 'final_answer');
    const body = JSON.stringify(anthropicBody(fake.modelRequests()[0]!).messages);
    assert.match(body, /run the build/, 'the saved conversation went with it');
    assert.match(body, /interrupted/);
  });
});
