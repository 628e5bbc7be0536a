// Loop overhead per step: a zero-latency scripted model and a no-op tool, so all that is measured is the
// loop itself (events, context budget, batching, conversation bookkeeping). Imported by the bench script.

import { runAgent } from '../src/agent/loop.ts';
import { MemoryToolHost } from './fixtures/memory-tools.ts';
import { ScriptedProvider } from './fixtures/scripted-provider.ts';

const usage = { inputTokens: 100, outputTokens: 5 };

async function runSteps(steps: number): Promise<number> {
  const provider = new ScriptedProvider(
    // Fixed usage: the fixture's default (an estimate of the request) is test cost, not loop cost.
    (i) => (i < steps - 1 ? { text: 'step ', toolCalls: [{ name: 'noop', args: { i } }], usage } : { text: 'done', usage }),
    { record: false },
  );
  const tools = new MemoryToolHost([{ name: 'noop', readOnly: true, run: () => ({ text: 'ok' }) }], { record: false });
  const started = performance.now();
  let end = '';
  for await (const event of runAgent({ task: 'bench', tools, provider, limits: { maxSteps: steps }, systemPrompt: 'bench' })) {
    if (event.type === 'end') end = event.reason;
  }
  if (end !== 'final_answer') throw new Error(`bench run ended with ${end}`);
  return performance.now() - started;
}

export async function benchLoopOverhead(steps = 200): Promise<{ perStepMs: number }> {
  await runSteps(Math.min(steps, 20)); // warm up the JIT
  const elapsed = await runSteps(steps);
  return { perStepMs: elapsed / steps };
}

// `tsx shared/test/bench-loop.ts [steps]` prints the number.
if (import.meta.url === `file://${process.argv[1]}`) {
  const steps = Number(process.argv[2] ?? 200);
  const { perStepMs } = await benchLoopOverhead(steps);
  console.log(`agent loop overhead: ${perStepMs.toFixed(3)} ms/step over ${steps} steps`);
}
