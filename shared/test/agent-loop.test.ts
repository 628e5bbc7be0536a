import assert from 'node:assert/strict';
import { estimateTokens } from '../src/agent/context.ts';
import { ProviderError } from '../src/agent/errors.ts';
import { runAgent, type AgentRunOptions } from '../src/agent/loop.ts';
import { buildSystemPrompt } from '../src/agent/prompt.ts';
import { createProvider } from '../src/agent/providers/index.ts';
import type { AgentEvent, AgentEventOf, Message, ToolResultPart } from '../src/agent/types.ts';
import { anthropicBody, openaiBody, withFakeModel } from './fixtures/fake-model-server.ts';
import { delay, MemoryToolHost } from './fixtures/memory-tools.ts';
import { ScriptedProvider } from './fixtures/scripted-provider.ts';

const KEY = 'sk-loop-SECRET-abcdef0123456789';
const FAST_RETRY = { baseDelayMs: 5, maxDelayMs: 20 };

/** Three read-only tools that each take `ms`, two writes, and one that waits for its signal. */
function tools(ms = 100) {
  const read = (name: string) => ({
    name,
    readOnly: true,
    run: async (args: Record<string, unknown>, signal: AbortSignal) => {
      await delay(ms, signal);
      return { text: `${name}:${JSON.stringify(args)}` };
    },
  });
  const write = (name: string) => ({
    name,
    readOnly: false,
    run: async (args: Record<string, unknown>, signal: AbortSignal) => {
      await delay(ms / 2, signal);
      return { text: `${name} done ${JSON.stringify(args)}` };
    },
  });
  return new MemoryToolHost([
    read('read_a'),
    read('read_b'),
    read('read_c'),
    write('write_x'),
    write('write_y'),
    { name: 'hang', readOnly: false, run: (_args, signal) => delay(60_000, signal).then(() => ({ text: 'late' })) },
    { name: 'deaf', readOnly: false, run: () => delay(1500).then(() => ({ text: 'ignored the signal' })) },
    { name: 'boom', readOnly: false, run: () => Promise.reject(new Error('disk on fire')) },
    { name: 'screenshot', readOnly: true, run: () => ({ text: 'a screenshot', images: [{ data: 'iVBORw0KGgo=', mimeType: 'image/png' }] }) },
    { name: 'big', readOnly: true, run: (args) => ({ text: `${String(args['n'])}:` + 'x'.repeat(4000) }) },
  ]);
}

async function drain(options: AgentRunOptions) {
  const run = runAgent(options);
  const events: AgentEvent[] = [];
  for await (const event of run) events.push(event);
  const ends = events.filter((e) => e.type === 'end');
  assert.equal(ends.length, 1, 'exactly one end event');
  assert.equal(events.at(-1)!.type, 'end', 'end comes last');
  return { run, events, end: ends[0] as AgentEventOf<'end'> };
}

const of = <T extends AgentEvent['type']>(events: AgentEvent[], type: T) =>
  events.filter((e): e is AgentEventOf<T> => e.type === type);

/** Every tool call in a conversation is answered in the very next message. */
function assertPaired(messages: Message[]): void {
  messages.forEach((m, i) => {
    if (m.role !== 'assistant') return;
    const calls = m.content.flatMap((p) => (p.type === 'tool_call' ? [p.id] : []));
    if (calls.length === 0) return;
    const next = messages[i + 1];
    assert.ok(next?.role === 'user', `call(s) ${calls.join(',')} have no following user message`);
    const results = next.content.flatMap((p) => (p.type === 'tool_result' ? [p.callId] : []));
    assert.deepEqual(results, calls, 'results answer the calls, in order');
  });
}

const base = { limits: { maxSteps: 10 } };

describe('agent loop', () => {
  it('ends with the final answer when the model calls no tool', async () => {
    const provider = new ScriptedProvider([{ text: 'The answer is 42.', usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 8 } }]);
    const { run, events, end } = await drain({ ...base, task: 'What is the answer?', tools: tools(), provider });
    assert.equal(end.reason, 'final_answer');
    assert.equal(end.answer, 'The answer is 42.');
    assert.equal(of(events, 'text_delta').map((e) => e.text).join(''), 'The answer is 42.');
    assert.deepEqual(of(events, 'step_start').map((e) => e.step), [1]);
    assert.deepEqual(end.usage, { inputTokens: 10, outputTokens: 5, cacheReadTokens: 8, cacheWriteTokens: 0 });
    assert.deepEqual(of(events, 'usage'), [{ type: 'usage', inputTokens: 10, outputTokens: 5, cacheReadTokens: 8 }]);
    assert.deepEqual(run.messages.map((m) => m.role), ['user', 'assistant']);
    assert.match(provider.requests[0]!.system, /\/workspace/);
  });

  it('runs independent read-only calls of one turn in parallel and returns results in the original order', async () => {
    const host = tools(150);
    const provider = new ScriptedProvider([
      { toolCalls: [{ name: 'read_c', args: { i: 1 } }, { name: 'read_a', args: { i: 2 } }, { name: 'read_b', args: { i: 3 } }] },
      { text: 'done' },
    ]);
    const started = performance.now();
    const { events, end } = await drain({ ...base, task: 't', tools: host, provider });
    const elapsed = performance.now() - started;
    assert.equal(end.reason, 'final_answer');
    const [c1, c2, c3] = host.calls;
    assert.ok(c2!.start < c1!.end! && c3!.start < c1!.end!, 'the three calls overlap');
    assert.ok(elapsed < 400, `three 150 ms reads took ${elapsed.toFixed(0)} ms together`);
    const sent = provider.requests[1]!.messages.at(-1)!.content as ToolResultPart[];
    assert.deepEqual(sent.map((r) => r.text), ['read_c:{"i":1}', 'read_a:{"i":2}', 'read_b:{"i":3}']);
    assert.deepEqual(of(events, 'tool_call_end').map((e) => e.name), ['read_c', 'read_a', 'read_b']);
    assert.ok(of(events, 'tool_call_end').every((e) => e.ok && e.durationMs >= 140));
  });

  it('runs writes one at a time, in order, and never reorders a read around a write', async () => {
    const host = tools(80);
    const provider = new ScriptedProvider([
      { toolCalls: [{ name: 'read_a', args: {} }, { name: 'write_x', args: {} }, { name: 'write_y', args: {} }, { name: 'read_b', args: {} }, { name: 'read_c', args: {} }] },
      { text: 'done' },
    ]);
    const { run } = await drain({ ...base, task: 't', tools: host, provider });
    const [readA, writeX, writeY, readB, readC] = host.calls;
    assert.deepEqual(host.calls.map((c) => c.name), ['read_a', 'write_x', 'write_y', 'read_b', 'read_c']);
    assert.ok(writeX!.start >= readA!.end!, 'the write waits for the read before it');
    assert.ok(writeY!.start >= writeX!.end!, 'writes do not overlap');
    assert.ok(readB!.start >= writeY!.end!, 'a read after a write sees the write');
    assert.ok(readC!.start < readB!.end!, 'the reads after the writes still overlap each other');
    assertPaired(run.messages);
  });

  it('stops at max steps with every call answered', async () => {
    const provider = new ScriptedProvider(() => ({ text: 'again', toolCalls: [{ name: 'read_a', args: {} }] }));
    const { run, end, events } = await drain({ task: 't', tools: tools(1), provider, limits: { maxSteps: 3 } });
    assert.equal(end.reason, 'max_steps');
    assert.equal(end.steps, 3);
    assert.equal(of(events, 'step_start').length, 3);
    assert.equal(provider.requests.length, 3);
    assert.equal(run.messages.at(-1)!.role, 'user');
    assertPaired(run.messages);
  });

  it('cancels mid-stream promptly and keeps the text already shown', async () => {
    const controller = new AbortController();
    const provider = new ScriptedProvider([{ text: 'one two three four five six seven eight', chunkDelayMs: 100 }]);
    const run = runAgent({ ...base, task: 't', tools: tools(), provider, signal: controller.signal });
    let abortedAt = 0;
    const events: AgentEvent[] = [];
    for await (const event of run) {
      events.push(event);
      if (event.type === 'text_delta' && !abortedAt) {
        abortedAt = performance.now();
        controller.abort();
      }
    }
    const end = events.at(-1) as AgentEventOf<'end'>;
    assert.equal(end.reason, 'cancelled');
    // well before the 700 ms the rest of the stream would take (a loose bound: machines under load are slow)
    assert.ok(performance.now() - abortedAt < 500, 'ended long before the stream would have');
    assert.equal(of(events, 'text_delta').length, 1);
    assert.deepEqual(run.messages.at(-1), { role: 'assistant', content: [{ type: 'text', text: 'one ' }] });
  });

  it('cancels mid-tool promptly: the tool gets the signal, a tool that ignores it does not hold the run', async () => {
    for (const tool of ['hang', 'deaf']) {
      const host = tools();
      const controller = new AbortController();
      const provider = new ScriptedProvider([{ toolCalls: [{ name: tool, args: {} }] }]);
      const run = runAgent({ ...base, task: 't', tools: host, provider, signal: controller.signal });
      let abortedAt = 0;
      let end: AgentEventOf<'end'> | undefined;
      for await (const event of run) {
        if (event.type === 'tool_call_start') {
          setTimeout(() => {
            abortedAt = performance.now();
            controller.abort();
          }, 50);
        }
        if (event.type === 'end') end = event;
      }
      assert.equal(end?.reason, 'cancelled', tool);
      assert.ok(performance.now() - abortedAt < 1000, `${tool}: ended promptly (the tool itself never ends)`);
      assert.equal(host.calls[0]!.signal.aborted, true, `${tool}: the tool's signal was aborted`);
      assertPaired(run.messages);
      const result = run.messages.at(-1)!.content[0] as ToolResultPart;
      assert.match(result.text, /Cancelled/);
    }
  });

  it('ends with max_wall_time when the run takes too long', async () => {
    const provider = new ScriptedProvider([{ toolCalls: [{ name: 'hang', args: {} }] }]);
    const { end } = await drain({ task: 't', tools: tools(), provider, limits: { maxSteps: 5, maxWallMs: 100 } });
    assert.equal(end.reason, 'max_wall_time');
  });

  it('ends cancelled at once when the signal is already aborted', async () => {
    const provider = new ScriptedProvider([{ text: 'never' }]);
    const { end } = await drain({ ...base, task: 't', tools: tools(), provider, signal: AbortSignal.abort() });
    assert.equal(end.reason, 'cancelled');
    assert.equal(provider.requests.length, 0);
  });

  it('turns unknown tools, bad arguments and throwing tools into error results the model can read', async () => {
    const provider = new ScriptedProvider([
      { toolCalls: [{ name: 'nope', args: {} }, { name: 'boom', args: {} }] },
      { text: 'recovered' },
    ]);
    const { events, end } = await drain({ ...base, task: 't', tools: tools(), provider });
    assert.equal(end.reason, 'final_answer');
    const ends = of(events, 'tool_call_end');
    assert.deepEqual(ends.map((e) => e.ok), [false, false]);
    assert.match(ends[0]!.text, /no tool named "nope".*read_a/);
    assert.equal(ends[1]!.summary, 'error: boom failed: disk on fire');
    const sent = provider.requests[1]!.messages.at(-1)!.content as ToolResultPart[];
    assert.ok(sent.every((r) => r.isError));
  });

  it('passes tool images back to the model and to the UI', async () => {
    const provider = new ScriptedProvider([{ toolCalls: [{ name: 'screenshot', args: {} }] }, { text: 'I see it' }]);
    const { events } = await drain({ ...base, task: 't', tools: tools(), provider });
    const toolEnd = of(events, 'tool_call_end')[0]!;
    assert.equal(toolEnd.images?.length, 1);
    assert.equal(toolEnd.summary, 'a screenshot (+1 image)');
    const sent = provider.requests[1]!.messages.at(-1)!.content[0] as ToolResultPart;
    assert.equal(sent.images?.[0]?.mimeType, 'image/png');
  });

  it('ends with a tool_host error when the tools cannot be listed', async () => {
    const broken = { listTools: () => Promise.reject(new Error('server gone')), callTool: () => Promise.reject(new Error('x')) };
    const { end } = await drain({ ...base, task: 't', tools: broken, provider: new ScriptedProvider([]) });
    assert.equal(end.reason, 'error');
    assert.deepEqual(end.error, { kind: 'tool_host', message: 'could not list tools: server gone' });
  });

  it('retries a retryable provider error and tells the consumer', async () => {
    const provider = new ScriptedProvider([
      { fail: new ProviderError('server', 'overloaded (529)', { retryable: true }) },
      { text: 'fine now' },
    ]);
    const { events, end } = await drain({ ...base, task: 't', tools: tools(), provider, retry: FAST_RETRY });
    assert.equal(end.reason, 'final_answer');
    assert.deepEqual(of(events, 'retry').map((e) => [e.attempt, e.reason]), [[1, 'overloaded (529)']]);
  });

  it('continues a saved conversation', async () => {
    const first = await drain({ ...base, task: 'first', tools: tools(1), provider: new ScriptedProvider([{ toolCalls: [{ name: 'read_a', args: {} }] }, { text: 'one' }]) });
    const provider = new ScriptedProvider([{ text: 'two' }]);
    const { end } = await drain({ ...base, messages: first.run.messages, task: 'second', tools: tools(1), provider });
    assert.equal(end.answer, 'two');
    const sent = provider.requests[0]!.messages;
    assert.equal(sent.length, 5);
    assert.deepEqual(sent.at(-1), { role: 'user', content: [{ type: 'text', text: 'second' }] });
    assert.equal(first.run.messages.length, 4, 'the saved conversation was not mutated');
  });

  it('refuses a conversation that has nothing to answer', async () => {
    const { end } = await drain({ ...base, messages: [{ role: 'assistant', content: [{ type: 'text', text: 'hi' }] }], tools: tools(), provider: new ScriptedProvider([]) });
    assert.equal(end.error?.kind, 'invalid_request');
  });

  it('shortens old tool results near the context window, keeping the newest whole and every call paired', async () => {
    // Each step adds ~1000 tokens of tool output; the window is 6000 tokens, so shortening must kick in.
    const provider = new ScriptedProvider(
      (i) => (i < 9 ? { toolCalls: [{ name: 'big', args: { n: i } }] } : { text: 'done' }),
      { contextWindow: 6000 },
    );
    const { events, end } = await drain({ task: 't', tools: tools(), provider, limits: { maxSteps: 12 }, systemPrompt: 'test' });
    assert.equal(end.reason, 'final_answer');
    assert.ok(of(events, 'context_shortened').length > 0, 'context_shortened was emitted');
    for (const request of provider.requests) {
      assertPaired(request.messages);
      const results = request.messages.flatMap((m) => m.content.filter((p): p is ToolResultPart => p.type === 'tool_result'));
      for (const r of results.slice(-3)) assert.equal(r.text.length, 4002, 'the newest three results are whole');
      for (const r of results.filter((x) => x.shortened)) assert.match(r.text, /tool output shortened to fit the context window/);
    }
    const last = provider.requests.at(-1)!;
    const lastResults = last.messages.flatMap((m) => m.content.filter((p): p is ToolResultPart => p.type === 'tool_result'));
    assert.ok(lastResults.filter((r) => r.shortened).length >= 5, 'old results were shortened');
    assert.ok(estimateTokens(last) <= 6000 * 0.75, `the final request fits the budget: ${estimateTokens(last)} tokens`);
  });

  it('calibrates its estimate with the prompt size the provider reports', async () => {
    // The provider says prompts are 4x the chars/4 estimate: shortening must start before the raw estimate would.
    const provider = new ScriptedProvider(
      (i, request) => (i < 6 ? { toolCalls: [{ name: 'big', args: { n: i } }], usage: { inputTokens: estimateTokens(request) * 4, outputTokens: 1 } } : { text: 'done' }),
      { contextWindow: 20_000 },
    );
    const { events } = await drain({ task: 't', tools: tools(), provider, limits: { maxSteps: 10 }, systemPrompt: 'test' });
    assert.ok(of(events, 'context_shortened').length > 0);
    assert.ok(estimateTokens(provider.requests.at(-1)!) < 20_000 * 0.75 / 4 * 1.05, 'the raw estimate alone would never have shortened');
  });

  it('joins a new task to a conversation that ended with tool results', async () => {
    const stopped: Message[] = [
      { role: 'user', content: [{ type: 'text', text: 'first' }] },
      { role: 'assistant', content: [{ type: 'tool_call', id: 'c1', name: 'read_a', args: {} }] },
    ];
    const provider = new ScriptedProvider([{ text: 'ok' }]);
    await drain({ ...base, messages: stopped, task: 'go on', tools: tools(), provider });
    const sent = provider.requests[0]!.messages;
    assert.deepEqual(sent.map((m) => m.role), ['user', 'assistant', 'user']);
    assert.deepEqual(sent[2]!.content.map((p) => p.type), ['tool_result', 'text'], 'the missing result was filled in, then the task');
  });

  it('uses the provider token counter when it has one', async () => {
    let counted = 0;
    const provider = new ScriptedProvider(
      (i) => (i < 3 ? { toolCalls: [{ name: 'read_a', args: {} }] } : { text: 'done' }),
      { contextWindow: 100, countTokens: () => (counted++, 10) },
    );
    const { events } = await drain({ ...base, task: 't', tools: tools(1), provider, systemPrompt: 's' });
    assert.ok(counted > 0, 'the counter was asked');
    assert.equal(of(events, 'context_shortened').length, 0, 'the counter said 10 tokens: nothing to shorten');
  });
});

describe('agent loop through the real SDKs and the fake model server', () => {
  const sdkProviders = {
    anthropic: (url: string) => createProvider('anthropic:claude-sonnet-5-5', { apiKey: KEY, baseURL: url, env: {} }),
    openai: (url: string) => createProvider('openai:gpt-5.4-nano', { apiKey: KEY, baseURL: `${url}/v1`, env: {} }),
  };

  for (const [name, make] of Object.entries(sdkProviders)) {
    it(`${name}: tool call, parallel reads, result sent back, final answer`, async () => {
      await withFakeModel(
        [
          { text: 'Reading.', toolCalls: [{ name: 'read_a', args: { p: 1 } }, { name: 'read_b', args: { p: 2 } }] },
          { text: 'All done.' },
        ],
        async (fake) => {
          const host = tools(100);
          const { end, events, run } = await drain({ ...base, task: 'read both', tools: host, provider: make(fake.url) });
          assert.equal(end.reason, 'final_answer');
          assert.equal(end.answer, 'All done.');
          assert.ok(host.calls[1]!.start < host.calls[0]!.end!, 'the reads overlapped');
          assert.ok(of(events, 'usage').length === 2 && end.usage.outputTokens > 0);
          assertPaired(run.messages);
          const second = fake.modelRequests()[1]!;
          if (name === 'anthropic') {
            const last = anthropicBody(second).messages.at(-1)!;
            const blocks = last.content as Array<{ type: string; tool_use_id?: string }>;
            assert.deepEqual(blocks.map((b) => b.type), ['tool_result', 'tool_result']);
          } else {
            const tail = openaiBody(second).messages.slice(-2);
            assert.deepEqual(tail.map((m) => m.role), ['tool', 'tool']);
            assert.deepEqual(tail.map((m) => m.role === 'tool' && m.content), ['read_a:{"p":1}', 'read_b:{"p":2}']);
          }
        },
      );
    });

    it(`${name}: a 500 is retried, then the run succeeds`, async () => {
      await withFakeModel([{ error: { status: 500 } }, { text: 'ok' }], async (fake) => {
        const { end, events } = await drain({ ...base, task: 't', tools: tools(), provider: make(fake.url), retry: FAST_RETRY });
        assert.equal(end.reason, 'final_answer');
        assert.equal(of(events, 'retry').length, 1);
      });
    });

    it(`${name}: a 401 ends the run at once with a fix-it message and no key`, async () => {
      await withFakeModel([{ error: { status: 401, echoAuth: true } }, { text: 'never' }], async (fake) => {
        const { end, events } = await drain({ ...base, task: 't', tools: tools(), provider: make(fake.url), retry: FAST_RETRY });
        assert.equal(end.reason, 'error');
        assert.equal(end.error?.kind, 'auth');
        assert.match(end.error!.message, name === 'anthropic' ? /ANTHROPIC_API_KEY/ : /OPENAI_API_KEY/);
        assert.ok(!end.error!.message.includes(KEY));
        assert.equal(of(events, 'retry').length, 0);
        assert.equal(fake.modelRequests().length, 1);
      });
    });

    it(`${name}: cancel mid-stream closes the HTTP stream`, async () => {
      await withFakeModel([{ text: 'slowly streaming a long answer here', chunkDelayMs: 80 }], async (fake) => {
        const controller = new AbortController();
        const run = runAgent({ ...base, task: 't', tools: tools(), provider: make(fake.url), signal: controller.signal });
        let abortedAt = 0;
        let end: AgentEventOf<'end'> | undefined;
        for await (const event of run) {
          if (event.type === 'text_delta' && !abortedAt) {
            abortedAt = performance.now();
            controller.abort();
          }
          if (event.type === 'end') end = event;
        }
        assert.equal(end?.reason, 'cancelled');
        // the rest of the stream would take ~500 ms more; a loose bound, machines under load are slow
        assert.ok(performance.now() - abortedAt < 400);
      });
    });
  }

  it('anthropic: shortening keeps tool_use/tool_result pairs in what is actually sent, using count_tokens', async () => {
    const script = Array.from({ length: 8 }, (_, i) => ({ toolCalls: [{ name: 'big', args: { n: i } }] }));
    await withFakeModel([...script, { text: 'done' }], async (fake) => {
      const provider = createProvider('anthropic:claude-sonnet-5-5', { apiKey: KEY, baseURL: fake.url, env: {}, contextWindow: 6000 });
      const { end, events } = await drain({ task: 't', tools: tools(), provider, limits: { maxSteps: 12 }, systemPrompt: 'test' });
      assert.equal(end.reason, 'final_answer');
      assert.ok(of(events, 'context_shortened').length > 0);
      assert.ok(fake.requests.some((r) => r.path === '/v1/messages/count_tokens'), 'count_tokens was used');
      for (const req of fake.modelRequests()) {
        const messages = anthropicBody(req).messages;
        messages.forEach((m, i) => {
          const blocks = (Array.isArray(m.content) ? m.content : []) as Array<{ type: string; id?: string; tool_use_id?: string; content?: Array<{ text?: string }> }>;
          const uses = blocks.filter((b) => b.type === 'tool_use').map((b) => b.id);
          if (uses.length === 0) return;
          const next = (messages[i + 1]?.content ?? []) as typeof blocks;
          assert.deepEqual(next.filter((b) => b.type === 'tool_result').map((b) => b.tool_use_id), uses);
        });
        const results = messages.flatMap((m) => (Array.isArray(m.content) ? m.content : []) as Array<{ type: string; content?: Array<{ text?: string }> }>).filter((b) => b.type === 'tool_result');
        for (const r of results.slice(-3)) assert.equal(r.content![0]!.text!.length, 4002);
      }
    });
  });
});

describe('buildSystemPrompt', () => {
  it('describes the sandbox, the user and the tools, briefly', () => {
    const prompt = buildSystemPrompt({
      tools: [{ name: 'shell', description: 'Run a command in the sandbox. Long text.', inputSchema: { type: 'object' }, readOnly: false }, { name: 'file_read', description: 'Read a file.', inputSchema: { type: 'object' }, readOnly: true }],
      extra: 'Answer in French.',
      date: new Date('2026-03-04T12:00:00Z'),
    });
    assert.match(prompt, /\/workspace/);
    assert.match(prompt, /non-root/);
    assert.match(prompt, /- shell: Run a command in the sandbox\.\n- file_read \(read-only\): Read a file\./);
    assert.match(prompt, /Today is 2026-03-04\./);
    assert.ok(prompt.endsWith('Answer in French.'));
    assert.ok(prompt.length < 2500, `short: ${prompt.length} chars`);
  });
});
