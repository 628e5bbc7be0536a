// The session store keeps at most `max` sessions (evicting the least recently used), expires idle ones but
// never one with a call in flight, and answers a closed session's unanswered calls before closing it.
import assert from 'node:assert/strict';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SessionStore, SessionTransport } from '../../src/http-sessions.ts';

function fakeSession() {
  const transport = new SessionTransport({ sessionIdGenerator: () => 'x' });
  const sent: unknown[] = [];
  transport.send = async (m) => void sent.push(m);
  transport.unanswered.add(7);
  let closed = false;
  const server = { close: async () => void (closed = true) } as unknown as McpServer;
  return { transport, server, sent, closed: () => closed };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('HTTP session store', () => {
  it('evicts the least recently used session when full, answering its calls in flight before closing it', async () => {
    const ended: string[] = [];
    const store = new SessionStore(2, 0, (id, why) => ended.push(`${id}:${why}`));
    const [a, b, c] = [fakeSession(), fakeSession(), fakeSession()];
    store.add('a', a.transport, a.server);
    store.add('b', b.transport, b.server);
    store.use('a', false); // a is now more recent than b
    store.add('c', c.transport, c.server);
    await tick();
    assert.deepEqual(ended, ['b:evicted']);
    assert.equal(store.size, 2);
    assert.equal(store.use('b', false), undefined);
    assert.ok(store.use('a', false) && store.use('c', false));
    assert.match(JSON.stringify(b.sent), /"id":7.*at most 2 sessions.*Initialize a new session/);
    assert.ok(b.closed() && !a.closed() && !c.closed());
    await store.closeAll();
  });

  it('expires a session idle longer than the timeout, but not one with a call in flight', async () => {
    const ended: string[] = [];
    const store = new SessionStore(10, 1000, (id, why) => ended.push(`${id}:${why}`));
    const [idle, busy] = [fakeSession(), fakeSession()];
    store.add('idle', idle.transport, idle.server);
    store.add('busy', busy.transport, busy.server);
    const call = store.use('busy', true)!;
    store.expireIdle(Date.now() + 5000);
    assert.deepEqual(ended, ['idle:expired']);
    call.done();
    store.expireIdle(Date.now() + 5000);
    assert.deepEqual(ended, ['idle:expired', 'busy:expired']);
    await store.closeAll();
  });
});
