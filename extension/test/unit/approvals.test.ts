import assert from 'node:assert/strict';
import type { ToolHost, ToolResult } from '@suna/shared/agent/index';
import { annotationsFor, type ToolKind } from '@suna/shared/tool-kinds';
import { ApprovalGate } from '../../src/common/approval-gate.ts';
import { decide, parseApprovalMode, type ApprovalMode } from '../../src/common/approvals.ts';

const kinds: ToolKind[] = ['read', 'write', 'destructive', 'exec', 'external', 'browse', 'publish'];

describe('approval policy', () => {
  it('decides from the annotations of each tool kind, per mode', () => {
    const table: Record<ApprovalMode, Record<ToolKind, string>> = {
      ask: { read: 'run', write: 'ask', destructive: 'ask', exec: 'ask', external: 'ask', browse: 'ask', publish: 'ask' },
      'auto-read': { read: 'run', write: 'ask', destructive: 'ask', exec: 'ask', external: 'run', browse: 'ask', publish: 'ask' },
      auto: { read: 'run', write: 'run', destructive: 'run', exec: 'run', external: 'run', browse: 'run', publish: 'run' },
    };
    for (const mode of Object.keys(table) as ApprovalMode[])
      for (const kind of kinds) assert.equal(decide(mode, annotationsFor(kind)), table[mode][kind], `${mode} / ${kind}`);
  });

  it('treats a tool without annotations as neither read-only nor closed-world (asks unless auto)', () => {
    assert.equal(decide('ask', undefined), 'ask');
    assert.equal(decide('auto-read', {}), 'ask');
    assert.equal(decide('auto-read', { readOnlyHint: true }), 'run');
    assert.equal(decide('ask', { readOnlyHint: true }), 'ask', 'openWorldHint defaults to true');
    assert.equal(decide('auto', undefined), 'run');
  });

  it('falls back to ask for an unknown setting value', () => {
    assert.equal(parseApprovalMode('auto'), 'auto');
    assert.equal(parseApprovalMode('yolo'), 'ask');
    assert.equal(parseApprovalMode(undefined), 'ask');
  });
});

class RecordingHost implements ToolHost {
  calls: string[] = [];
  async listTools() {
    return [];
  }
  async callTool(name: string): Promise<ToolResult> {
    this.calls.push(name);
    return { text: `${name} ran` };
  }
}

const hints = (name: string) => annotationsFor(name.startsWith('file_read') ? 'read' : 'write');

describe('approval gate', () => {
  it('runs read-only calls at once and holds a write until approved', async () => {
    const inner = new RecordingHost();
    const asked: string[] = [];
    const gate = new ApprovalGate(inner, () => 'auto-read', hints, { onAsk: (id) => asked.push(id), onDecided: () => {} });
    const signal = new AbortController().signal;
    gate.announce('c1', 'file_read', { path: 'a' });
    assert.equal((await gate.callTool('file_read', { path: 'a' }, signal)).text, 'file_read ran');
    gate.announce('c2', 'file_write', { path: 'b', content: 'x' });
    const pending = gate.callTool('file_write', { content: 'x', path: 'b' }, signal);
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(asked, ['c2']);
    assert.deepEqual(inner.calls, ['file_read']);
    assert.equal(gate.decide('c2', true), true);
    assert.equal((await pending).text, 'file_write ran');
  });

  it('reports a denied call to the model as denied, and never runs it', async () => {
    const inner = new RecordingHost();
    const decided: Array<[string, boolean]> = [];
    const gate = new ApprovalGate(inner, () => 'ask', hints, {
      onAsk: (id) => queueMicrotask(() => gate.decide(id, false)),
      onDecided: (id, ok) => decided.push([id, ok]),
    });
    gate.announce('c9', 'shell_exec', { command: 'rm -rf /' });
    const r = await gate.callTool('shell_exec', { command: 'rm -rf /' }, new AbortController().signal);
    assert.equal(r.isError, true);
    assert.match(r.text, /denied/);
    assert.deepEqual(inner.calls, []);
    assert.deepEqual(decided, [['c9', false]]);
  });

  it('a stop while waiting ends the wait as not approved', async () => {
    const inner = new RecordingHost();
    const gate = new ApprovalGate(inner, () => 'ask', hints, { onAsk: () => {}, onDecided: () => {} });
    const ac = new AbortController();
    gate.announce('c1', 'file_write', {});
    const p = gate.callTool('file_write', {}, ac.signal);
    ac.abort();
    assert.equal((await p).isError, true);
    assert.deepEqual(inner.calls, []);
    assert.deepEqual(gate.pendingIds, []);
  });

  it('pairs identical calls with their announcements in order', async () => {
    const inner = new RecordingHost();
    const asked: string[] = [];
    const gate = new ApprovalGate(inner, () => 'ask', hints, { onAsk: (id) => (asked.push(id), queueMicrotask(() => gate.decide(id, true))), onDecided: () => {} });
    gate.announce('first', 'file_write', { p: 1 });
    gate.announce('second', 'file_write', { p: 1 });
    const s = new AbortController().signal;
    await gate.callTool('file_write', { p: 1 }, s);
    await gate.callTool('file_write', { p: 1 }, s);
    assert.deepEqual(asked, ['first', 'second']);
  });

  it('refuses a call that needs approval but was never announced', async () => {
    const gate = new ApprovalGate(new RecordingHost(), () => 'ask', hints, { onAsk: () => assert.fail('asked'), onDecided: () => {} });
    assert.equal((await gate.callTool('file_write', {}, new AbortController().signal)).isError, true);
  });
});
