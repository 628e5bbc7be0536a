// The runtime is built in dependency order with real types: the agent runs are made last and reach the finished
// runtime's tools through executeTool; tool families keep their state per runtime, not on it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelProvider, ModelRequest, ProviderChunk } from '@suna/shared/agent/index';
import { z } from 'zod';
import { loadConfig } from '../../src/config.ts';
import type { Logger } from '../../src/log.ts';
import { createRuntime, type Runtime } from '../../src/runtime.ts';
import { defineTool, type ToolContext } from '../../src/tool.ts';
import { runtimeState } from '../../src/tool-context.ts';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} } as unknown as Logger;

/** A model that calls `probe` once, then answers. */
function scriptedModel(seen: ModelRequest[]): ModelProvider {
  return {
    id: 'test:scripted',
    contextWindow: 100_000,
    async *stream(request: ModelRequest): AsyncIterable<ProviderChunk> {
      seen.push(request);
      if (seen.length === 1) {
        yield { type: 'tool_call', id: 'c1', name: 'probe', args: { word: 'hello' } };
        yield { type: 'stop', reason: 'tool_use' };
      } else {
        yield { type: 'text', text: 'done' };
        yield { type: 'stop', reason: 'end_turn' };
      }
    },
  };
}

describe('runtime', () => {
  let dataDir: string;
  let runtime: Runtime | undefined;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'suna-runtime-'))));
  afterEach(async () => {
    await runtime?.runs.shutdown();
    runtime?.sandbox.disconnect();
    runtime = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('builds every service once, from the one config, with the sandbox shared', () => {
    const config = loadConfig(['--data-dir', dataDir, '--max-concurrent-calls', '3'], {});
    runtime = createRuntime(config, { log: quiet });
    assert.equal(runtime.config, config);
    assert.equal(runtime.log, quiet);
    assert.equal(runtime.sandbox.config, config.sandbox);
    for (const service of ['sandbox', 'callSlots', 'browser', 'sites', 'runs'] as const) assert.ok(runtime[service], `${service} is built`);
    assert.equal('outputCursors' in runtime || 'ports' in runtime, false, 'tool families keep their own state');
  });

  it("an agent run calls the runtime's own tools through executeTool, with this runtime in the context, and never mcp_servers", async () => {
    const calls: ToolContext[] = [];
    const probe = defineTool({
      name: 'probe',
      title: 'Probe',
      kind: 'read',
      sandboxFree: true,
      description: 'Echo a word.',
      input: z.object({ word: z.string() }),
      async handle({ word }, ctx) {
        calls.push(ctx);
        ctx.reply.text(`heard ${word}`);
      },
    });
    const hidden = defineTool({ ...probe, name: 'mcp_servers', description: 'Not for agents.' });
    const config = loadConfig(['--data-dir', dataDir], {});
    runtime = createRuntime(config, { log: quiet, agentTools: () => [probe, hidden] });
    const seen: ModelRequest[] = [];
    const run = runtime.runs.start({ task: 'say hello', maxSteps: 3, provider: scriptedModel(seen) });
    const done = await runtime.runs.wait(run.id, 0, 30_000, new AbortController().signal, undefined, true);
    assert.equal(done?.status, 'completed', JSON.stringify(done?.events));
    assert.deepEqual(seen[0]!.tools.map((t) => t.name), ['probe']);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]!.runtime, runtime, 'the run reaches the runtime it belongs to');
    assert.equal(typeof calls[0]!.fs.read, 'function', 'with the sandbox facade bound to the call');
    const toolResult = JSON.stringify(seen[1]!.messages);
    assert.match(toolResult, /heard hello/);
  });

  it('runtimeState keeps one state per runtime, made on first use', () => {
    let made = 0;
    const counters = runtimeState(() => (made++, new Map<string, number>()));
    const a = {} as Runtime;
    const b = {} as Runtime;
    assert.equal(made, 0);
    counters(a).set('x', 1);
    assert.equal(counters(a).get('x'), 1);
    assert.equal(counters(b).has('x'), false);
    assert.equal(made, 2);
  });
});
