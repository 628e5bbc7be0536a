import assert from 'node:assert/strict';
import {
  isEnvelope,
  ProtocolClient,
  ProtocolServer,
  type Envelope,
  type Handlers,
  type HostState,
} from '../../src/common/protocol.ts';
import type { ChatEvent } from '../../src/common/transcript.ts';
import { EMPTY_USAGE } from '../../src/common/transcript.ts';

const state: HostState = {
  server: { status: 'ready', mode: 'stdio', sandbox: 'vscode-demo' },
  sync: { state: 'idle', files: 0, bytes: 0, skipped: [], skippedCount: 0, conflicts: [], pending: [] },
  model: 'anthropic:claude-sonnet-5-5',
  models: [],
  approvals: 'ask',
};

function notImplemented(): never {
  throw new Error('not implemented in this test');
}

function handlers(overrides: Partial<Handlers>): Handlers {
  const base: Handlers = {
    'ui/ready': () => ({ state, conversation: { id: 'c1', title: 'New chat', items: [], usage: EMPTY_USAGE } }),
    'chat/send': notImplemented,
    'chat/attach': () => null,
    'chat/stop': () => ({ stopped: false }),
    'chat/new': notImplemented,
    'history/list': () => [],
    'history/open': notImplemented,
    'history/delete': () => [],
    'tool/decide': () => ({ ok: true }),
    'tool/openDiff': () => ({ ok: true }),
    'process/stop': () => ({ ok: false }),
    'context/pick': () => null,
    'image/open': () => ({ ok: true }),
    'context/selection': () => null,
    'context/problems': () => null,
    'model/select': () => state,
    'command/run': () => ({ ok: true }),
    'sync/open': () => ({ ok: true }),
    'sync/resolve': () => ({ ok: true }),
    'link/open': () => ({ ok: true }),
    'clipboard/copy': () => ({ ok: true }),
    'checkpoint/restore': notImplemented,
    'checkpoint/changes': notImplemented,
    'checkpoint/openDiff': () => ({ ok: true }),
    'checkpoint/undo': () => ({ ok: true }),
  };
  return { ...base, ...overrides } as Handlers;
}

/** Wires a client and a server through a JSON round trip, as postMessage would (structured clone). */
function connect(h: Handlers) {
  const wire: Envelope[] = [];
  let server!: ProtocolServer;
  const client = new ProtocolClient((m) => {
    wire.push(m);
    queueMicrotask(() => void server.receive(JSON.parse(JSON.stringify(m))));
  });
  server = new ProtocolServer((m) => {
    wire.push(m);
    queueMicrotask(() => client.receive(JSON.parse(JSON.stringify(m))));
  }, h);
  return { client, server, wire };
}

describe('webview protocol', () => {
  it('answers a request with the response of its own handler, correlated by id', async () => {
    const { client } = connect(handlers({ 'tool/decide': ({ callId, approve }) => ({ ok: callId === 'c7' && approve }) }));
    const [a, b] = await Promise.all([
      client.request('tool/decide', { callId: 'c7', approve: true }),
      client.request('tool/decide', { callId: 'other', approve: true }),
    ]);
    assert.deepEqual(a, { ok: true });
    assert.deepEqual(b, { ok: false });
  });

  it('streams chunks as {done:false, chunk} and finishes with {done:true, result}', async () => {
    const { client, wire } = connect(
      handlers({
        'chat/send': async ({ text }, ctx) => {
          ctx.emit({ type: 'user', text });
          ctx.emit({ type: 'text', text: 'Hel' });
          ctx.emit({ type: 'text', text: 'lo' });
          return { reason: 'final_answer', usage: EMPTY_USAGE };
        },
      }),
    );
    const chunks: ChatEvent[] = [];
    const result = await client.request('chat/send', { text: 'hi' }, { onChunk: (c) => chunks.push(c) });
    assert.equal(result.reason, 'final_answer');
    assert.deepEqual(chunks.map((c) => c.type), ['user', 'text', 'text']);
    const responses = wire.filter((m) => m.t === 'res');
    assert.deepEqual(responses.map((m) => (m as { done: boolean }).done), [false, false, false, true]);
  });

  it('rejects with the handler error message, and answers an unknown type with an error', async () => {
    const { client } = connect(handlers({ 'history/open': () => Promise.reject(new Error('no conversation x')) }));
    await assert.rejects(client.request('history/open', { id: 'x' }), /no conversation x/);
    await assert.rejects(client.request('nope/never' as 'history/list', {}), /unknown request type "nope\/never"/);
  });

  it('cancelling a request aborts the handler signal', async () => {
    let aborted = false;
    const { client } = connect(
      handlers({
        'chat/send': (_p, ctx) =>
          new Promise((resolve) =>
            ctx.signal.addEventListener('abort', () => {
              aborted = true;
              resolve({ reason: 'cancelled', usage: EMPTY_USAGE });
            }),
          ),
      }),
    );
    const ac = new AbortController();
    const p = client.request('chat/send', { text: 'x' }, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 5));
    ac.abort();
    assert.equal((await p).reason, 'cancelled');
    assert.equal(aborted, true);
  });

  it('delivers host events to the listeners of their type only', async () => {
    const { client, server } = connect(handlers({}));
    const seen: string[] = [];
    const off = client.on('state', (s) => seen.push(`state:${s.model}`));
    client.on('conversation', (c) => seen.push(`conversation:${c.id}`));
    server.event('state', state);
    server.event('conversation', { id: 'c2', title: 't', items: [], usage: EMPTY_USAGE });
    await new Promise((r) => setTimeout(r, 5));
    off();
    server.event('state', state);
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(seen, ['state:anthropic:claude-sonnet-5-5', 'conversation:c2']);
  });

  it('ignores malformed messages instead of throwing', async () => {
    for (const m of [null, 1, 'x', {}, { t: 'req' }, { t: 'req', id: 'a', type: 'x', payload: 1 }, { t: 'res', id: 1.5, done: true }, { t: 'zzz' }])
      assert.equal(isEnvelope(m), false, JSON.stringify(m));
    const { server, client } = connect(handlers({}));
    await server.receive({ t: 'req', id: 1, type: '__proto__', payload: {} });
    client.receive({ t: 'res', id: 999, done: true, result: 1 });
  });
});
