// The run manager's promise to other replicas: a run's id leaves in a reply (agent_run with wait_s 0 answers at
// once) only after the run is in the shared store and its index, so a follower on another replica that asks
// right away finds it. Under load the replicas test saw "no run …" from the second replica before this held.
import assert from 'node:assert/strict';
import type { ModelProvider, ProviderChunk } from '@suna/shared/agent/index';
import Keyv from 'keyv';
import { AgentRunManager } from '../../src/agent/runs.ts';
import { FileRunStore } from '../../src/agent/run-store.ts';
import { loadConfig } from '../../src/config.ts';
import type { Logger } from '../../src/log.ts';

const quiet = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger;

/** A store whose first index write takes a while (a busy Redis). */
class SlowIndexStore extends FileRunStore {
  override async addToIndex(scope: string, id: string, max: number): Promise<void> {
    await new Promise((r) => setTimeout(r, 300));
    return super.addToIndex(scope, id, max);
  }
}

const answering: ModelProvider = {
  id: 'test:answering',
  contextWindow: 100_000,
  async *stream(): AsyncIterable<ProviderChunk> {
    yield { type: 'text', text: 'done' };
    yield { type: 'stop', reason: 'end_turn' };
  },
};

describe('agent runs: saved before named', () => {
  it('wait() with no time to wait answers only once the run is stored and indexed', async () => {
    const store = new SlowIndexStore(new Keyv());
    const config = loadConfig(['--data-dir', '/nonexistent-unused'], {});
    const runs = new AgentRunManager({ config, log: quiet }, store, () => ({ tools: () => [], call: async () => ({ content: '' }) }) as never);
    const run = runs.start({ task: 'answer', maxSteps: 1, provider: answering });
    const r = await runs.wait(run.id, 0, 0, new AbortController().signal);
    assert.equal(r?.id, run.id);
    assert.ok(await store.load(run.id), 'the record is in the store');
    assert.ok((await store.index(config.sandbox.name)).includes(run.id), 'and in the index another replica lists');
    await runs.wait(run.id, 0, 10_000, new AbortController().signal, undefined, true);
  });
});
