import assert from 'node:assert/strict';
import { explainSandboxProblem } from '../../src/common/problems.ts';
import { applyChatEvent, closeInterruptedRun, formatUsage, MAX_LIVE_OUTPUT_CHARS, MAX_RESULT_CHARS_SHOWN, type ChatEvent, type ChatItem } from '../../src/common/transcript.ts';

const run = (events: ChatEvent[]) => events.reduce<ChatItem[]>((items, e) => applyChatEvent(items, e), []);
const usage = { inputTokens: 1234, outputTokens: 56, cacheReadTokens: 0, cacheWriteTokens: 0, steps: 3 };

describe('panel transcript', () => {
  it('joins streamed text into one message and closes it when a tool card starts', () => {
    const items = run([
      { type: 'user', text: 'hi' },
      { type: 'text', text: 'Hel' },
      { type: 'text', text: 'lo' },
      { type: 'tool_start', id: 'a', name: 'file_read', args: { path: 'x' } },
    ]);
    assert.deepEqual(items.slice(0, 2), [
      { kind: 'user', text: 'hi' },
      { kind: 'assistant', text: 'Hello', streaming: false },
    ]);
    assert.equal(items[2]!.kind, 'tool');
  });

  it('a retry drops the void partial text and says why', () => {
    const items = run([{ type: 'text', text: 'half' }, { type: 'retry', reason: 'rate limited' }, { type: 'text', text: 'whole' }]);
    assert.deepEqual(items.map((i) => i.kind), ['notice', 'assistant']);
    assert.equal(items[1]!.kind === 'assistant' && items[1]!.text, 'whole');
  });

  it('tracks approval, denial and the result of a card; cuts long results for display', () => {
    const items = run([
      { type: 'tool_start', id: 'w', name: 'file_write', args: {} },
      { type: 'tool_approval', id: 'w', reason: 'changes files in the sandbox' },
      { type: 'tool_decided', id: 'w', approved: true },
      { type: 'tool_end', id: 'w', ok: true, text: 'x'.repeat(MAX_RESULT_CHARS_SHOWN * 2), durationMs: 5 },
      { type: 'tool_start', id: 'd', name: 'shell_exec', args: {} },
      { type: 'tool_approval', id: 'd' },
      { type: 'tool_decided', id: 'd', approved: false },
    ]);
    const [w, d] = items as Array<Extract<ChatItem, { kind: 'tool' }>>;
    assert.equal(w!.status, 'ok');
    assert.equal(w!.approvalReason, 'changes files in the sandbox');
    assert.ok(w!.result!.length < MAX_RESULT_CHARS_SHOWN + 100);
    assert.match(w!.result!, /characters not shown/);
    assert.equal(d!.status, 'denied');
  });

  it('the end of a run marks cards still running as cancelled and records usage', () => {
    const items = run([{ type: 'tool_start', id: 'a', name: 'shell_exec', args: {} }, { type: 'end', reason: 'cancelled', usage }]);
    assert.equal(items[0]!.kind === 'tool' && items[0]!.status, 'cancelled');
    assert.deepEqual(items[1], { kind: 'run-end', reason: 'cancelled', usage });
    assert.equal(formatUsage(usage), '1,234 tokens in · 56 out · 3 steps');
  });
});

describe('sandbox problems', () => {
  it('says Docker is not running and how to start it, per platform', () => {
    const msg = 'Docker is not reachable (connect ENOENT /var/run/docker.sock). Start Docker (Docker Desktop, or `dockerd`) and retry';
    assert.match(explainSandboxProblem(msg, 'linux'), /^Docker is not running\..*systemctl start docker.*Retry/);
    assert.match(explainSandboxProblem(msg, 'darwin'), /start Docker Desktop/);
    assert.match(explainSandboxProblem('image build failed: no space', 'linux'), /^The sandbox could not start: image build failed/);
  });
});

describe('transcript: one retry line', () => {
  it('counts retries on one line instead of adding one per attempt', () => {
    const items = applyChatEvent([], { type: 'retry', reason: 'overloaded' });
    applyChatEvent(items, { type: 'retry', reason: 'overloaded' });
    applyChatEvent(items, { type: 'text', text: 'partial' });
    applyChatEvent(items, { type: 'retry', reason: 'rate limited' });
    assert.equal(items.length, 1);
    assert.ok(items[0]!.kind === 'notice');
    assert.equal(items[0]!.text, 'Retrying the model call (3 retries): rate limited');
  });
});

describe('transcript: live output', () => {
  it('a running card gathers its output (the tail, bounded); Stop keeps it, a finished call drops it for the result', () => {
    const items = applyChatEvent([], { type: 'tool_start', id: 's', name: 'shell_exec', args: { command: 'x' } });
    applyChatEvent(items, { type: 'tool_output', id: 's', text: 'tick 1\n' });
    applyChatEvent(items, { type: 'tool_output', id: 's', text: 'tick 2\n' });
    applyChatEvent(items, { type: 'tool_output', id: 'nope', text: 'stray' });
    const card = items[0]!;
    assert.ok(card.kind === 'tool');
    assert.equal(card.output, 'tick 1\ntick 2\n');
    applyChatEvent(items, { type: 'tool_output', id: 's', text: 'y'.repeat(MAX_LIVE_OUTPUT_CHARS) });
    assert.equal(card.output!.length, MAX_LIVE_OUTPUT_CHARS);
    assert.ok(card.output!.endsWith('y'));
    applyChatEvent(items, { type: 'tool_end', id: 's', ok: false, text: 'Cancelled by the user', durationMs: 5 });
    assert.equal(card.status, 'cancelled');
    assert.ok(card.output, 'kept after Stop');
    applyChatEvent(items, { type: 'tool_output', id: 's', text: 'late' });
    assert.ok(!card.output.endsWith('late'), 'nothing appended after the end');

    const done = applyChatEvent([], { type: 'tool_start', id: 'd', name: 'shell_exec', args: {} });
    applyChatEvent(done, { type: 'tool_output', id: 'd', text: 'partial' });
    applyChatEvent(done, { type: 'tool_end', id: 'd', ok: true, text: 'exit code 0\nstdout:\npartial', durationMs: 5 });
    assert.equal(done[0]!.kind === 'tool' && done[0]!.output, undefined);
  });
});

describe('transcript: a run cut by a reload', () => {
  it('is closed as interrupted (running cards cancelled) so the panel can offer Continue; a finished one is left alone', () => {
    const items = applyChatEvent([], { type: 'user', text: 'go' });
    applyChatEvent(items, { type: 'tool_start', id: 't', name: 'shell_exec', args: {} });
    assert.equal(closeInterruptedRun(items), true);
    assert.equal(items.at(-1)?.kind === 'run-end' && items.at(-1)!.kind === 'run-end' && (items.at(-1) as { reason: string }).reason, 'interrupted');
    assert.equal(items[1]!.kind === 'tool' && items[1]!.status, 'cancelled');
    assert.equal(closeInterruptedRun(items), false, 'only once');
    assert.equal(closeInterruptedRun([]), false);
  });
});
