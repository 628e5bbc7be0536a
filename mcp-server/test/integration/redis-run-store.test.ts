// The Redis run store on a real redis-server: one interrupted end however many readers race for it, nothing
// for a run that ended meanwhile, and malformed or oversized entries (the store is shared, not trusted) skipped.
import assert from 'node:assert/strict';
import { createClient } from '@redis/client';
import { RedisRunStore } from '../../src/agent/redis-run-store.ts';
import type { RunRecord } from '../../src/agent/run-store.ts';
import { startRedis, type TestRedis } from '../fixtures/redis.ts';

const run = (id: string, owner: string): RunRecord => ({ id, task: 't', model: 'm', status: 'running', scope: 's', owner, createdAt: Date.now(), steps: 0, usage: { inputTokens: 0, outputTokens: 0 }, events: [], eventsTotal: 0 });

describe('Redis run store', function () {
  this.timeout(60_000);
  let redis: TestRedis;
  const stores: RedisRunStore[] = [];
  const open = () => {
    const s = new RedisRunStore(redis.url, () => {});
    stores.push(s);
    return s;
  };
  before(async () => (redis = await startRedis()));
  after(async () => {
    for (const s of stores) await s.close();
    await redis?.stop();
  });

  it('readers racing to mark a dead owner\'s run interrupted write one end between them', async () => {
    const owner = open();
    const r = run('run_aaaaaaaaaaaa', 'gone-host:1:dead');
    await owner.save(r);
    r.events.push({ type: 'note', text: 'hello' });
    r.eventsTotal = 1;
    await owner.append(r, r.events[0]!);
    const readers = [open(), open(), open()];
    assert.equal(await readers[0]!.ownerAlive('gone-host:1:dead'), false);
    const results = await Promise.all(readers.map((s) => s.markInterrupted(r.id)));
    assert.ok(results.every((x) => x?.status === 'interrupted'), JSON.stringify(results.map((x) => x?.status)));
    const stored = await readers[0]!.load(r.id);
    assert.equal(stored?.status, 'interrupted');
    assert.deepEqual(stored?.events.map((e) => e.type), ['note', 'end'], 'one end event, not three');
  });

  it('a run that ended before the reader looked is left as it ended', async () => {
    const owner = open();
    const r = run('run_bbbbbbbbbbbb', owner.owner);
    await owner.save(r);
    r.status = 'completed';
    r.answer = '42';
    r.events.push({ type: 'end', status: 'completed', answer: '42' });
    r.eventsTotal = 1;
    await owner.append(r, r.events[0]!);
    const reader = open();
    const after = await reader.markInterrupted(r.id);
    assert.equal(after?.status, 'completed');
    assert.equal(after?.answer, '42');
  });

  it('malformed, oversized and foreign entries in the store are skipped, not trusted', async () => {
    const raw = createClient({ url: redis.url });
    await raw.connect();
    try {
      const store = open();
      const r = run('run_cccccccccccc', store.owner);
      await store.save(r);
      const key = `suna:run:${r.id}:events`;
      await raw.sendCommand(['XADD', key, '0-1', 'e', '{not json']);
      await raw.sendCommand(['XADD', key, '0-2', 'x', JSON.stringify({ type: 'note', text: 'wrong field' })]);
      await raw.sendCommand(['XADD', key, '0-3', 'e', JSON.stringify({ type: 'note', text: 'ok' })]);
      await raw.sendCommand(['XADD', key, '0-4', 'e', JSON.stringify({ type: 'note', text: 'x'.repeat(9 * 1024 * 1024) })]);
      const loaded = await store.load(r.id);
      assert.deepEqual(loaded?.events, [{ type: 'note', text: 'ok' }]);
      assert.equal(loaded?.eventsTotal, 4, 'the follower marker still moves past what was skipped');
      // A summary stored under one id that claims another is not that run.
      await raw.set('suna:run:run_dddddddddddd', JSON.stringify({ ...r, id: 'run_cccccccccccc' }));
      assert.equal(await store.load('run_dddddddddddd'), undefined);
      await raw.set('suna:run:run_eeeeeeeeeeee', 'null');
      assert.equal(await store.load('run_eeeeeeeeeeee'), undefined);
    } finally {
      await raw.close();
    }
  });

  it('a follower blocked on a run wakes when the next event lands, and an abort ends its wait at once', async () => {
    const owner = open();
    const follower = open();
    const r = run('run_ffffffffffff', owner.owner);
    await owner.save(r);
    const t0 = Date.now();
    const waiting = follower.waitForEvents(r.id, 0, 10_000, new AbortController().signal);
    setTimeout(() => {
      r.events.push({ type: 'note', text: 'now' });
      r.eventsTotal = 1;
      void owner.append(r, r.events[0]!);
    }, 300);
    await waiting;
    assert.ok(Date.now() - t0 < 5000, 'woken by the event, not the timeout');
    const ac = new AbortController();
    const t1 = Date.now();
    const aborted = follower.waitForEvents(r.id, 1, 10_000, ac.signal);
    setTimeout(() => ac.abort(), 200);
    await aborted;
    assert.ok(Date.now() - t1 < 5000);
  });
});
