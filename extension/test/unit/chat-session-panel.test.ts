// The panel's newer session features with the real agent loop and Anthropic SDK against the fake model:
// the usage meter (cost, context fill), edit-and-resend of an earlier message, and live output of a
// background process (shell_start) followed with shell_output until it ends or the user stops it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProvider, type ToolResult } from '@suna/shared/agent/index';
import { priceOf } from '@suna/shared/agent/pricing';
import { annotationsFor } from '@suna/shared/tool-kinds';
import { startFakeModelServer, type FakeModelServer } from '../../../shared/test/fixtures/fake-model-server.ts';
import { MemoryToolHost } from '../../../shared/test/fixtures/memory-tools.ts';
import { applyChatEvent, closeInterruptedRun, type ChatEvent, type ChatItem, type ToolCard } from '../../src/common/transcript.ts';
import { BackgroundOutput, parseOutputRead, startedProcessId } from '../../src/node/background-output.ts';
import { ChatSession, type ChatSessionDeps } from '../../src/node/chat-session.ts';
import { HistoryStore } from '../../src/node/history-store.ts';

/** A background process in memory: prints one line every `everyMs`, `lines` in all, then exits. */
function fakeProcesses(lines: number, everyMs: number) {
  const started = Date.now();
  let killed = false;
  const reads: Array<Record<string, unknown>> = [];
  const outputNow = () => {
    const n = killed ? killedAt : Math.min(lines, Math.floor((Date.now() - started) / everyMs));
    return Array.from({ length: n }, (_, i) => `line ${i + 1}\n`).join('');
  };
  let killedAt = 0;
  const running = () => !killed && Math.floor((Date.now() - started) / everyMs) < lines;
  const host = new MemoryToolHost([
    { name: 'shell_start', readOnly: false, run: () => ({ text: 'started p7 (pid 42): ticker\nUse shell_output {"process_id": "p7", "wait_s": 5} to read its output.' }) },
    {
      name: 'shell_output',
      readOnly: true,
      run: async (a) => {
        reads.push(a);
        await new Promise((r) => setTimeout(r, Math.min(100, Number(a.wait_s) * 1000)));
        const all = outputNow();
        const from = Number(a.offset ?? 0);
        const text = all.slice(from);
        return { text: `p7: ${running() ? 'running' : 'exited with code 0'}; next_offset ${all.length}\n${text || '(no new output)'}` };
      },
    },
    {
      name: 'shell_kill',
      readOnly: false,
      run: () => {
        killedAt = Math.min(lines, Math.floor((Date.now() - started) / everyMs));
        killed = true;
        return { text: 'sent SIGTERM to p7 (ticker)' };
      },
    },
  ]);
  return { host: Object.assign(host, { hintsOf: (n: string) => annotationsFor(n === 'shell_output' ? 'read' : 'exec') }), reads, killed: () => killed };
}

describe('chat session: meter, edit-and-resend, background output', () => {
  let fake: FakeModelServer;
  let dir: string;
  const deps = (over: Partial<ChatSessionDeps> = {}): ChatSessionDeps => ({
    tools: Object.assign(new MemoryToolHost([]), { hintsOf: () => annotationsFor('read') }),
    provider: async (m) => createProvider(m, { apiKey: 'test-key', baseURL: fake.anthropicBaseURL }),
    model: () => 'anthropic:claude-sonnet-5-5',
    approvalMode: () => 'auto',
    store: new HistoryStore(dir),
    priceOf: (m) => priceOf(m),
    ...over,
  });
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'suna-chat-panel-'))));
  afterEach(async () => {
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('each model call updates the meter: tokens, cost at the list price, and the context used against the window', async () => {
    fake = await startFakeModelServer([{ text: 'one', usage: { input: 100_000, output: 2_000 } }, { text: 'two', usage: { input: 150_000, output: 1_000 } }]);
    const s = new ChatSession(deps());
    const meters: ChatEvent[] = [];
    await s.send('first', (e) => e.type === 'meter' && meters.push(e));
    await s.send('second', (e) => e.type === 'meter' && meters.push(e));
    const last = meters.at(-1)! as Extract<ChatEvent, { type: 'meter' }>;
    assert.equal(last.meter.usage.inputTokens, 250_000);
    // 250k in at $3/M + 3k out at $15/M.
    assert.ok(Math.abs(last.meter.cost!.usd - (0.75 + 0.045)) < 1e-9, String(last.meter.cost!.usd));
    assert.deepEqual(last.meter.context, { tokens: 151_000, window: 200_000 });
    // Saved with the conversation, shown again after a reload.
    const reopened = new ChatSession(deps(), (await new HistoryStore(dir).load(s.conversation.id))!);
    assert.deepEqual(reopened.view().meter?.context, { tokens: 151_000, window: 200_000 });
  });

  it('an unpriced model gets no cost, only tokens and context', async () => {
    fake = await startFakeModelServer([{ text: 'hi', usage: { input: 10, output: 1 } }]);
    const s = new ChatSession(deps({ priceOf: () => undefined }));
    await s.send('hello', () => {});
    assert.deepEqual(s.view().meter?.cost, { usd: 0, unpriced: ['anthropic:claude-sonnet-5-5'] });
  });

  it('editing an earlier message cuts what came after it, says so, and the model sees only the edited text', async () => {
    fake = await startFakeModelServer([{ text: 'answer one' }, { text: 'answer two' }, { text: 'answer three' }, { text: 'answer to the edit' }]);
    const s = new ChatSession(deps());
    for (const q of ['question one', 'question two', 'question three']) await s.send(q, () => {});
    const second = s.conversation.items.findIndex((i) => i.kind === 'user' && i.text === 'question two');
    const events: ChatEvent[] = [];
    await s.send('question two, edited', (e) => events.push(e), second);
    assert.equal(events[0]!.type, 'reset');
    const texts = s.conversation.items.map((i) => (i.kind === 'user' || i.kind === 'assistant' ? `${i.kind}:${i.text}` : i.kind === 'notice' ? `notice:${i.text}` : i.kind));
    assert.deepEqual(texts.filter((t) => !t.startsWith('run-end')), [
      'user:question one',
      'assistant:answer one',
      'user:question two, edited',
      'notice:Edited an earlier message: the 1 later message and their answers were removed from this conversation (changes already made in the sandbox stay).',
      'assistant:answer to the edit',
    ]);
    const body = JSON.stringify(fake.modelRequests().at(-1)!.body);
    assert.match(body, /question one/);
    assert.match(body, /question two, edited/);
    assert.doesNotMatch(body, /question three|answer two/);
  });

  it('Retry of the last message (same text) cuts without a notice', async () => {
    fake = await startFakeModelServer([{ text: 'a' }, { text: 'b' }]);
    const s = new ChatSession(deps());
    await s.send('q', () => {});
    await s.send('q', () => {}, 0);
    assert.equal(s.conversation.items.filter((i) => i.kind === 'notice').length, 0);
  });

  it('a shell_start card shows the process output as it arrives, read at explicit offsets, until the process ends', async function () {
    this.timeout(20_000);
    fake = await startFakeModelServer([{ toolCalls: [{ id: 'bg', name: 'shell_start', args: { command: 'ticker' } }] }, { text: 'started it' }]);
    const procs = fakeProcesses(5, 200);
    const pushed: ChatEvent[] = [];
    const s = new ChatSession(deps({ tools: procs.host, onBackgroundEvent: (_id, e) => pushed.push(e) }));
    await s.send('start the ticker', () => {});
    const card = () => s.conversation.items.find((i): i is ToolCard => i.kind === 'tool' && i.id === 'bg')!;
    for (let i = 0; i < 100 && card().background?.state !== 'ended'; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(card().background?.state, 'ended');
    assert.equal(card().output, 'line 1\nline 2\nline 3\nline 4\nline 5\n');
    assert.equal(card().background?.note, 'exited with code 0');
    // The panel read at explicit offsets (the model's own cursor is left alone) and the webview got the same events.
    assert.ok(procs.reads.every((r) => typeof r.offset === 'number'));
    const mirror: ChatItem[] = [{ kind: 'tool', id: 'bg', name: 'shell_start', args: {}, status: 'ok', result: 'started' }];
    for (const e of pushed) applyChatEvent(mirror, e);
    assert.equal((mirror[0] as ToolCard).output, card().output);
  });

  it("the card's Stop kills the process and keeps what was shown; closing the conversation stops following", async function () {
    this.timeout(20_000);
    fake = await startFakeModelServer([{ toolCalls: [{ id: 'bg', name: 'shell_start', args: { command: 'ticker' } }] }, { text: 'started it' }]);
    const procs = fakeProcesses(1000, 100);
    const s = new ChatSession(deps({ tools: procs.host }));
    await s.send('start the ticker', () => {});
    const card = () => s.conversation.items.find((i): i is ToolCard => i.kind === 'tool' && i.id === 'bg')!;
    for (let i = 0; i < 100 && !/line 3/.test(card().output ?? ''); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await s.stopProcess('bg', AbortSignal.timeout(5000)), true);
    assert.ok(procs.killed());
    assert.equal(card().background?.state, 'stopped');
    const kept = card().output!;
    assert.match(kept, /line 1\n.*line 3/s);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(card().output, kept, 'nothing is added after Stop');
    assert.equal(await s.stopProcess('bg', AbortSignal.timeout(1000)), false, 'a second Stop has nothing to stop');
    s.close();
  });

  it('follows a bounded number of processes; a reload marks followed ones as no longer followed', () => {
    const events: ChatEvent[] = [];
    const never = { callTool: (_n: string, _a: Record<string, unknown>, signal: AbortSignal) => new Promise<ToolResult>((_r, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))) };
    const bg = new BackgroundOutput(never, (e) => events.push(e), { maxFollowed: 2, maxFollowMs: 60_000, waitSeconds: 5, maxReadChars: 100 });
    for (const id of ['a', 'b', 'c']) bg.follow(id, `p-${id}`);
    assert.equal(bg.count, 2);
    assert.deepEqual(events.map((e) => e.type === 'process_output' && `${e.id}:${e.state}`), ['a:running', 'b:running', 'c:unfollowed']);
    bg.dispose();
    assert.equal(bg.count, 0);
    const saved: ChatItem[] = [{ kind: 'user', text: 'go' }, { kind: 'tool', id: 'a', name: 'shell_start', args: {}, status: 'ok', result: 'started', background: { processId: 'p-a', state: 'running' } }];
    closeInterruptedRun(saved);
    assert.equal((saved[1] as ToolCard).background?.state, 'unfollowed');
  });

  it('reads only the server shapes: a process id and a status line it can trust, nothing else', () => {
    assert.equal(startedProcessId('shell_start', true, 'started p7 (pid 42): x'), 'p7');
    assert.equal(startedProcessId('shell_start', false, 'started p7 (pid 42): x'), undefined);
    assert.equal(startedProcessId('shell_exec', true, 'started p7 (pid 42): x'), undefined);
    assert.equal(startedProcessId('shell_start', true, 'started ../../etc (pid 1)'), undefined);
    assert.equal(startedProcessId('shell_start', true, `started ${'a'.repeat(41)} (pid 1)`), undefined);
    assert.deepEqual(parseOutputRead('p7: running; next_offset 12\n(3 older bytes were dropped from the buffer)\nhello\n'), { running: true, status: 'running', nextOffset: 12, output: 'hello\n' });
    assert.equal(parseOutputRead('p7: exited with code 1; next_offset 3\n(no new output)')!.output, '');
    for (const junk of ['', 'hello', 'p7: running; next_offset -1', 'p7: running; next_offset 1e9', `p7: ${'x'.repeat(500)}; next_offset 1`]) assert.equal(parseOutputRead(junk), undefined, junk);
  });
});
