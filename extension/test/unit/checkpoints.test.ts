// The panel's checkpoint parts as data: the run's checkpoint on its user message (and in the saved history),
// Restore to here in the transcript (greyed, the model forgets), the planner's wording for a restore's review
// items, the user-save log that decides them, and the "Changes in this run" list from sandbox_diff's hostile answer.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProvider } from '@suna/shared/agent/index';
import { annotationsFor } from '@suna/shared/tool-kinds';
import { anthropicBody, startFakeModelServer, type FakeModelServer } from '../../../shared/test/fixtures/fake-model-server.ts';
import { MemoryToolHost } from '../../../shared/test/fixtures/memory-tools.ts';
import { canRestoreTo, runChangesFrom, runCheckpointOf } from '../../src/common/checkpoints.ts';
import { DEFAULT_CAPS, reconcile } from '../../src/common/sync-planner.ts';
import { applyChatEvent, type ChatItem } from '../../src/common/transcript.ts';
import { ChatSession } from '../../src/node/chat-session.ts';
import { HistoryStore } from '../../src/node/history-store.ts';
import { restoreToMessage, takeCheckpoint } from '../../src/node/restore-flow.ts';
import { RESTORE_REASONS, UserSaveLog } from '../../src/node/user-saves.ts';

const CK1 = 'ck-mwzhcl2n-684218';
const CK2 = 'ck-mwzhcl9z-aaaaaa';

function transcript(): ChatItem[] {
  const items: ChatItem[] = [];
  for (const e of [
    { type: 'user', text: 'first task', messageIndex: 0 },
    { type: 'checkpoint', id: CK1, at: 1000 },
    { type: 'text', text: 'did it' },
    { type: 'end', reason: 'final_answer', usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, steps: 1 } },
    { type: 'user', text: 'second task', messageIndex: 2 },
    { type: 'checkpoint', id: CK2, at: 2000 },
    { type: 'text', text: 'did that too' },
    { type: 'end', reason: 'final_answer', usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, steps: 1 } },
  ] as const)
    applyChatEvent(items, e);
  return items;
}

describe('panel checkpoints: transcript', () => {
  it('a checkpoint event lands on its run\'s user message; a malformed id is ignored', () => {
    const items = transcript();
    assert.deepEqual(items[0]!.kind === 'user' && items[0]!.checkpoint, { id: CK1, at: 1000 });
    assert.deepEqual(items[3]!.kind === 'user' && items[3]!.checkpoint, { id: CK2, at: 2000 });
    applyChatEvent(items, { type: 'user', text: 'third' });
    applyChatEvent(items, { type: 'checkpoint', id: '../../etc', at: 3 });
    const third = items.at(-1)!;
    assert.equal(third.kind === 'user' && third.checkpoint, undefined);
    assert.equal(canRestoreTo(items, items.length - 1), false);
  });

  it('restored: the message and everything after it are undone (greyed), a notice says so; no Restore on undone items', () => {
    const items = transcript();
    applyChatEvent(items, { type: 'restored', index: 3, text: 'Restored to before "second task"' });
    assert.deepEqual(items.map((i) => !!i.undone), [false, false, false, true, true, true, false]);
    assert.ok(items.at(-1)!.kind === 'notice' && !items.at(-1)!.undone);
    assert.equal(canRestoreTo(items, 0), true);
    assert.equal(canRestoreTo(items, 3), false);
    assert.equal(runCheckpointOf(items, 2)?.id, CK1, "the first run's changes are still offered");
    assert.equal(runCheckpointOf(items, 5), undefined, 'an undone run has no Changes view');
    // Not a user message, or out of range: nothing happens.
    applyChatEvent(items, { type: 'restored', index: 1, text: 'x' });
    applyChatEvent(items, { type: 'restored', index: 99, text: 'x' });
    assert.equal(items.length, 7);
  });
});

describe('panel checkpoints: Changes in this run from sandbox_diff', () => {
  it('lists ordinary workspace files only; home, folders, unusual and hostile names are counted, not listed', () => {
    const r = runChangesFrom({
      total: 12,
      changes: [
        { path: '/workspace/src/a.ts', change: 'changed', type: 'file', before: 'old\n' },
        { path: '/workspace/new.txt', change: 'added', type: 'file', before: '' },
        { path: '/workspace/gone.txt', change: 'removed', type: 'file' },
        { path: '/home/user/.bashrc', change: 'changed', type: 'file' },
        { path: '/workspace/dir', change: 'added', type: 'dir' },
        { path: '"/workspace/x\\n+ y"', change: 'added', type: 'file', unusual: 'contains control characters' },
        { path: '/workspace/../etc/passwd', change: 'changed', type: 'file' },
        { path: '/workspace/.git/hooks/pre-commit', change: 'added', type: 'file' },
        { path: '/workspace/a\u202eb', change: 'added', type: 'file' },
        { path: '/workspace/ok.txt', change: 'exploded', type: 'file' },
        { path: 42, change: 'added', type: 'file' },
        null,
      ],
    });
    assert.deepEqual(r.files, [
      { path: 'src/a.ts', change: 'changed', before: 'old\n' },
      { path: 'new.txt', change: 'added', before: '' },
      { path: 'gone.txt', change: 'removed' },
    ]);
    assert.equal(r.notListed, 9);
    assert.deepEqual(runChangesFrom('nonsense'), { files: [], notListed: 0 });
  });
});

describe('panel checkpoints: the workspace side of a restore', () => {
  it('the planner words a guarded path as a restore review item; unguarded ones go back as before', () => {
    const plan = reconcile({
      base: new Map([['mine.txt', 'U'], ['agent.txt', 'A'], ['made.txt', 'M']]),
      local: new Map([['mine.txt', { sha256: 'U', size: 1 }], ['agent.txt', { sha256: 'A', size: 1 }], ['made.txt', { sha256: 'M', size: 1 }]]),
      remote: new Map([['mine.txt', { sha256: 'old', size: 1 }], ['agent.txt', { sha256: 'old2', size: 1 }]]),
      savedByUser: new Set(['mine.txt']),
      savedReason: RESTORE_REASONS,
      caps: DEFAULT_CAPS,
    });
    assert.deepEqual(plan.items, [
      { path: 'agent.txt', action: 'take-theirs' },
      { path: 'made.txt', action: 'delete-local' },
      { path: 'mine.txt', action: 'conflict', reason: RESTORE_REASONS.replaced },
    ]);
  });

  it('the save log guards what was saved since the checkpoint, and everything when it does not reach back that far', () => {
    let now = 1000;
    const log = new UserSaveLog(() => now);
    now = 2000;
    log.note('early.txt');
    now = 3000;
    log.note('late.txt');
    const since = log.editedSince(2500);
    assert.deepEqual([since.has('late.txt'), since.has('early.txt'), since.has('other.txt')], [true, false, false]);
    const before = log.editedSince(500);
    assert.deepEqual([before.has('anything'), before.has('early.txt')], [true, true], 'older than the log: all guarded');
    // For "Changes in this run" labels: what the user saved since then, or null when the log cannot tell (no false labels).
    assert.deepEqual([...log.savedSince(2500)!], ['late.txt']);
    assert.equal(log.savedSince(500), null);
  });

  it('the save log survives a window reload (persisted); a damaged or future-dated file gives a log that knows nothing before now', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'user-saves-'));
    try {
      const file = join(dir, 'user-saves.json');
      let now = 1000;
      const log = await UserSaveLog.persisted(file, () => now);
      now = 2000;
      log.note('src/a.ts');
      await log.flush();
      now = 5000;
      const reloaded = await UserSaveLog.persisted(file, () => now);
      assert.deepEqual([...reloaded.savedSince(1500)!], ['src/a.ts'], 'what was saved before the reload is still known');
      assert.equal(reloaded.editedSince(1500).has('src/b.ts'), false, 'and what was not saved is not guarded');
      writeFileSync(file, JSON.stringify({ version: 1, knownSince: 9e15, saves: [] }));
      assert.equal((await UserSaveLog.persisted(file, () => now)).savedSince(1500), null);
      writeFileSync(file, JSON.stringify({ version: 1, knownSince: 1000, saves: [['x', 'soon']] }));
      assert.equal((await UserSaveLog.persisted(file, () => now)).savedSince(1500), null);
      writeFileSync(file, '{"version":1,"knownS');
      assert.equal((await UserSaveLog.persisted(file, () => now)).editedSince(1500).has('anything'), true, 'unknown: everything guarded');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('panel checkpoints: takeCheckpoint', () => {
  const answering = (r: object) => ({ callTool: async () => ({ content: [{ type: 'text' as const, text: 'x' }], ...r }) });
  it('returns the id; undefined when the server has no checkpoint tools; throws the server\'s words otherwise and on a bad id', async () => {
    assert.equal(await takeCheckpoint(answering({ structuredContent: { id: CK1 } }), 'l'), CK1);
    assert.equal(await takeCheckpoint({ callTool: async () => Promise.reject(new Error('MCP error -32602: Tool sandbox_checkpoint not found')) }, 'l'), undefined);
    await assert.rejects(takeCheckpoint(answering({ isError: true, content: [{ type: 'text', text: 'the store is full' }] }), 'l'), /store is full/);
    await assert.rejects(takeCheckpoint(answering({ structuredContent: { id: '../x' } }), 'l'), /without a checkpoint id/);
  });
});

describe('panel checkpoints: the chat session', function () {
  this.timeout(30_000);
  let fake: FakeModelServer;
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'suna-ckpanel-'))));
  afterEach(async () => {
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const tools = () =>
    Object.assign(new MemoryToolHost([{ name: 'file_write', readOnly: false, run: (a) => ({ text: `wrote ${String(a.path)}` }) }]), { hintsOf: () => annotationsFor('write') });
  const session = (store: HistoryStore, checkpoint?: (label: string) => Promise<string>) =>
    new ChatSession({
      tools: tools(),
      provider: async (m) => createProvider(m, { apiKey: 'test-key', baseURL: fake.anthropicBaseURL }),
      model: () => 'anthropic:claude-sonnet-5-5',
      approvalMode: () => 'auto',
      store,
      ...(checkpoint ? { checkpoint } : {}),
    });

  it('takes a checkpoint before each run (before the model is called), keeps its id in the saved history; a failed one is a warning', async () => {
    fake = await startFakeModelServer([{ text: 'one' }, { text: 'two' }]);
    const store = new HistoryStore(dir);
    const order: string[] = [];
    let fail = false;
    const s = session(store, async (label) => {
      order.push(`checkpoint ${label} (model calls so far: ${fake.modelRequests().length})`);
      if (fail) throw new Error('the checkpoint store is full');
      return CK1;
    });
    await s.send('build the thing', () => {});
    assert.deepEqual(order, ['checkpoint panel: before "build the thing" (model calls so far: 0)']);
    const saved = await store.load(s.conversation.id);
    const user = saved!.items[0]!;
    assert.equal(user.kind === 'user' && user.checkpoint?.id, CK1);
    fail = true;
    await s.send('again', () => {});
    const second = s.conversation.items.findLast((i) => i.kind === 'user');
    assert.equal(second?.kind === 'user' && second.checkpoint, undefined);
    assert.ok(s.conversation.items.some((i) => i.kind === 'notice' && /No sandbox checkpoint before this run.*store is full/.test(i.text)));
  });

  it('Restore to here restores the run\'s checkpoint, greys the later messages, the model forgets them, the workspace follows', async () => {
    fake = await startFakeModelServer([{ text: 'first answer' }, { text: 'second answer' }, { text: 'third answer' }]);
    const store = new HistoryStore(dir);
    const ids = [CK1, CK2];
    const s = session(store, async () => ids.shift()!);
    await s.send('first', () => {});
    await s.send('second', () => {});
    const index = s.conversation.items.findIndex((i) => i.kind === 'user' && i.text === 'second');
    const calls: unknown[] = [];
    const follows: unknown[] = [];
    const server = {
      callTool: async (name: string, args: Record<string, unknown>) => {
        calls.push([name, args]);
        return { content: [{ type: 'text' as const, text: 'restored' }], structuredContent: { restored: args.id, before_restore: 'ck-mwzhcm00-bbbbbb' } };
      },
    };
    const before = await restoreToMessage(s, index, server, { pullAfterRestore: async (since) => void follows.push(since) });
    assert.equal(before, 'ck-mwzhcm00-bbbbbb');
    assert.deepEqual(calls, [['sandbox_restore', { id: CK2 }]]);
    const second = s.conversation.items[index]!;
    assert.equal(follows.length, 1);
    assert.equal(follows[0], second.kind === 'user' && second.checkpoint!.at);
    assert.ok(s.conversation.items.slice(index, -1).every((i) => i.undone));
    assert.match(JSON.stringify(s.conversation.items.at(-1)), /Restored to before \\"second\\".*ck-mwzhcm00-bbbbbb/);
    await assert.rejects(restoreToMessage(s, index, server, undefined), /no checkpoint to restore/);
    // The next message goes to the model without the undone turn.
    await s.send('third', () => {});
    const body = JSON.stringify(anthropicBody(fake.modelRequests().at(-1)!).messages);
    assert.match(body, /first answer/);
    assert.doesNotMatch(body, /second/);
    const saved = await store.load(s.conversation.id);
    assert.ok(saved!.items[index]!.undone, 'the restore is saved with the history');
  });
});
