import assert from 'node:assert/strict';
import { classifyHttpError, ProviderError, parseRetryAfter } from '../src/agent/errors.ts';
import { contextWindowFor, createProvider, DEFAULT_MODEL, parseModelSpec } from '../src/agent/providers/index.ts';
import { DEFAULT_RETRY_POLICY, retryDelay, streamWithRetry, type RetryNotice, type RetryPolicy } from '../src/agent/retry.ts';
import type { ModelProvider, ModelRequest, ProviderChunk } from '../src/agent/types.ts';
import { anthropicBody, openaiBody, withFakeModel, type FakeModelServer } from './fixtures/fake-model-server.ts';

const KEY = 'sk-test-SECRET-0123456789abcdef';
const FAST: RetryPolicy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 5, maxDelayMs: 20 };

const tools = [
  { name: 'file_read', description: 'Read a file.', inputSchema: { type: 'object' as const, properties: { path: { type: 'string' } } }, readOnly: true },
  { name: 'shell', description: 'Run a command.', inputSchema: { type: 'object' as const, properties: { command: { type: 'string' } } }, readOnly: false },
];

function request(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    system: 'You are a test agent.',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }],
    tools,
    maxTokens: 1000,
    ...overrides,
  };
}

async function collect(provider: ModelProvider, req = request(), signal = new AbortController().signal): Promise<ProviderChunk[]> {
  const out: ProviderChunk[] = [];
  for await (const chunk of provider.stream(req, signal)) out.push(chunk);
  return out;
}

async function collectWithRetry(provider: ModelProvider, policy = FAST): Promise<Array<ProviderChunk | RetryNotice>> {
  const out: Array<ProviderChunk | RetryNotice> = [];
  for await (const chunk of streamWithRetry(provider, request(), new AbortController().signal, policy)) out.push(chunk);
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ProviderError, `expected a ProviderError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

const text = (chunks: Array<ProviderChunk | RetryNotice>) =>
  chunks.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('');

const providers = {
  anthropic: (fake: FakeModelServer) => createProvider('anthropic:claude-sonnet-5-5', { apiKey: KEY, baseURL: fake.anthropicBaseURL, env: {} }),
  openai: (fake: FakeModelServer) => createProvider('openai:gpt-5.4-nano', { apiKey: KEY, baseURL: fake.openaiBaseURL, env: {} }),
};

describe('providers against the fake model server', () => {
  for (const [name, make] of Object.entries(providers)) {
    describe(name, () => {
      it('streams text, complete tool calls with parsed arguments, usage and the stop reason', async () => {
        await withFakeModel(
          [{ text: 'Let me look at both files.', toolCalls: [{ name: 'file_read', args: { path: 'a.txt' } }, { name: 'shell', args: { command: 'ls -la /workspace' } }], usage: { input: 120, output: 30, cacheRead: 80 } }],
          async (fake) => {
            const chunks = await collect(make(fake));
            assert.equal(text(chunks), 'Let me look at both files.');
            assert.ok(chunks.filter((c) => c.type === 'text').length > 1, 'text arrives in several deltas');
            const calls = chunks.filter((c) => c.type === 'tool_call');
            assert.deepEqual(calls.map((c) => [c.name, c.args]), [['file_read', { path: 'a.txt' }], ['shell', { command: 'ls -la /workspace' }]]);
            assert.ok(calls.every((c) => c.id.length > 0 && c.argsError === undefined));
            const usage = chunks.find((c) => c.type === 'usage');
            assert.ok(usage && usage.type === 'usage');
            assert.equal(usage.outputTokens, 30);
            assert.equal(usage.cacheReadTokens, 80);
            assert.equal(usage.inputTokens, 200, 'inputTokens counts cached prompt tokens too');
            assert.deepEqual(chunks.at(-1), { type: 'stop', reason: 'tool_use' });
          },
        );
      });

      it('sends the API key, and the SDK does not retry on its own', async () => {
        await withFakeModel([{ error: { status: 500 } }], async (fake) => {
          const err = await rejection(collect(make(fake)));
          assert.equal(err.retryable, true);
          assert.equal(fake.modelRequests().length, 1, 'maxRetries: 0 leaves retrying to our policy');
          assert.equal(fake.requests[0]!.headers['authorization'], `Bearer ${KEY}`);
        });
      });

      it('retries a 500 and then succeeds', async () => {
        await withFakeModel([{ error: { status: 500 } }, { error: { status: 503 } }, { text: 'ok' }], async (fake) => {
          const chunks = await collectWithRetry(make(fake));
          const retries = chunks.filter((c) => c.type === 'retry');
          assert.deepEqual(retries.map((r) => r.attempt), [1, 2]);
          assert.match(retries[0]!.reason, /500/);
          assert.equal(text(chunks), 'ok');
          assert.equal(fake.modelRequests().length, 3);
        });
      });

      it('honours retry-after on a 429', async () => {
        await withFakeModel([{ error: { status: 429, headers: { 'retry-after': '1' } } }, { text: 'after the wait' }], async (fake) => {
          const chunks = await collectWithRetry(make(fake));
          const retry = chunks.find((c) => c.type === 'retry');
          assert.ok(retry && retry.type === 'retry');
          assert.equal(retry.delayMs, 1000);
          const [first, second] = fake.modelRequests();
          const waited = second!.at - first!.at;
          assert.ok(waited >= 950 && waited < 1600, `waited ${waited} ms for retry-after: 1`);
          assert.equal(text(chunks), 'after the wait');
        });
      });

      it('retries an error event in the middle of the stream', async () => {
        await withFakeModel([{ text: 'partial answer', streamError: { type: 'overloaded_error', message: 'Overloaded' } }, { text: 'whole answer' }], async (fake) => {
          const chunks = await collectWithRetry(make(fake));
          const retryAt = chunks.findIndex((c) => c.type === 'retry');
          assert.ok(retryAt > 0, 'the retry comes after the partial text');
          assert.equal(text(chunks.slice(retryAt)), 'whole answer');
        });
      });

      it('fails fast on 401 with a message naming the key setting and never the key', async () => {
        await withFakeModel([{ error: { status: 401, echoAuth: true } }, { text: 'never reached' }], async (fake) => {
          const err = await rejection(collectWithRetry(make(fake)));
          assert.equal(err.kind, 'auth');
          assert.equal(err.retryable, false);
          assert.match(err.message, name === 'anthropic' ? /ANTHROPIC_API_KEY is missing or invalid \(401/ : /OPENAI_API_KEY is missing or invalid \(401/);
          assert.ok(!err.message.includes(KEY) && !err.message.includes('SECRET'), err.message);
          assert.equal(fake.modelRequests().length, 1);
        });
      });

      it('fails fast on 400 and 403', async () => {
        await withFakeModel([{ error: { status: 400, message: 'messages: bad' } }, { error: { status: 403 } }], async (fake) => {
          const bad = await rejection(collectWithRetry(make(fake)));
          assert.equal(bad.kind, 'bad_request');
          assert.match(bad.message, /messages: bad/);
          const denied = await rejection(collectWithRetry(make(fake)));
          assert.equal(denied.kind, 'permission');
          assert.match(denied.message, name === 'anthropic' ? /ANTHROPIC_API_KEY/ : /OPENAI_API_KEY/);
          assert.equal(fake.modelRequests().length, 2);
        });
      });

      it('aborts the HTTP stream when the signal fires mid-stream', async () => {
        await withFakeModel([{ text: 'a long answer that streams slowly', chunkDelayMs: 100 }], async (fake) => {
          const controller = new AbortController();
          const seen: string[] = [];
          const started = performance.now();
          const err = await rejection(
            (async () => {
              for await (const chunk of make(fake).stream(request(), controller.signal)) {
                if (chunk.type === 'text') seen.push(chunk.text);
                if (seen.length === 1) controller.abort();
              }
            })(),
          );
          assert.equal(err.kind, 'cancelled');
          assert.equal(seen.length, 1);
          assert.ok(performance.now() - started < 600, 'stopped well before the stream would have finished');
        });
      });

      it('reports arguments that are not a JSON object instead of inventing them', async () => {
        await withFakeModel([{ toolCalls: [{ name: 'shell', args: '{"command": "ls' }] }], async (fake) => {
          const call = (await collect(make(fake))).find((c) => c.type === 'tool_call');
          assert.ok(call && call.type === 'tool_call');
          assert.deepEqual(call.args, {});
          assert.match(call.argsError ?? '', /not valid JSON/);
        });
      });
    });
  }

  describe('anthropic specifics', () => {
    it('puts cache breakpoints on the system prompt, the last tool and the last message', async () => {
      await withFakeModel([{ text: 'hi' }], async (fake) => {
        await collect(providers.anthropic(fake));
        const body = anthropicBody(fake.requests[0]!);
        assert.equal(body.model, 'claude-sonnet-5-5');
        assert.equal(body.max_tokens, 1000);
        assert.equal(body.stream, true);
        assert.deepEqual(body.system, [{ type: 'text', text: 'You are a test agent.', cache_control: { type: 'ephemeral' } }]);
        const sentTools = body.tools as Array<{ name: string; cache_control?: unknown }>;
        assert.deepEqual(sentTools.map((t) => t.name), ['file_read', 'shell']);
        assert.equal(sentTools[0]!.cache_control, undefined);
        assert.deepEqual(sentTools[1]!.cache_control, { type: 'ephemeral' });
        const last = body.messages.at(-1)!.content as Array<{ cache_control?: unknown }>;
        assert.deepEqual(last.at(-1)!.cache_control, { type: 'ephemeral' });
      });
    });

    it('sends tool results (with images) as tool_result blocks after the tool_use', async () => {
      await withFakeModel([{ text: 'seen' }], async (fake) => {
        await collect(providers.anthropic(fake), request({
          messages: [
            { role: 'user', content: [{ type: 'text', text: 'screenshot please' }] },
            { role: 'assistant', content: [{ type: 'tool_call', id: 'toolu_1', name: 'shell', args: { command: 'shot' } }] },
            { role: 'user', content: [{ type: 'tool_result', callId: 'toolu_1', name: 'shell', text: 'saved', images: [{ data: 'iVBORw0KGgo=', mimeType: 'image/png' }], isError: true }] },
          ],
        }));
        const [, assistant, user] = anthropicBody(fake.requests[0]!).messages;
        assert.deepEqual(assistant, { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'shell', input: { command: 'shot' } }] });
        assert.deepEqual(user, {
          role: 'user',
          content: [{
            type: 'tool_result', tool_use_id: 'toolu_1', is_error: true, cache_control: { type: 'ephemeral' },
            content: [{ type: 'text', text: 'saved' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }],
          }],
        });
      });
    });

    it('counts tokens with the count_tokens endpoint', async () => {
      await withFakeModel([], async (fake) => {
        const provider = providers.anthropic(fake);
        assert.equal(await provider.countTokens!(request(), new AbortController().signal), 4242);
        assert.equal(fake.requests[0]!.path, '/v1/messages/count_tokens');
        assert.equal(anthropicBody(fake.requests[0]!).model, 'claude-sonnet-5-5');
      }, { countTokens: () => 4242 });
    });

    it('fails without a request when no key is configured', async () => {
      await withFakeModel([{ text: 'never' }], async (fake) => {
        const provider = createProvider('anthropic', { baseURL: fake.anthropicBaseURL, env: {} });
        const err = await rejection(collect(provider));
        assert.equal(err.kind, 'auth');
        assert.match(err.message, /ANTHROPIC_API_KEY is missing/);
        assert.equal(fake.requests.length, 0);
      });
    });
  });

  describe('openai specifics', () => {
    it('asks for usage in the stream and uses max_completion_tokens', async () => {
      await withFakeModel([{ text: 'hi' }], async (fake) => {
        await collect(providers.openai(fake));
        const body = openaiBody(fake.requests[0]!);
        assert.equal(body.model, 'gpt-5.4-nano');
        assert.deepEqual(body.stream_options, { include_usage: true });
        assert.equal(body.max_completion_tokens, 1000);
        assert.deepEqual(body.messages[0], { role: 'system', content: 'You are a test agent.' });
        assert.deepEqual(body.tools?.[0], { type: 'function', function: { name: 'file_read', description: 'Read a file.', parameters: tools[0]!.inputSchema } });
      });
    });

    it('sends tool results as tool messages and their images in a following user message', async () => {
      await withFakeModel([{ text: 'seen' }], async (fake) => {
        await collect(providers.openai(fake), request({
          messages: [
            { role: 'user', content: [{ type: 'text', text: 'go' }] },
            { role: 'assistant', content: [{ type: 'text', text: 'two calls' }, { type: 'tool_call', id: 'c1', name: 'file_read', args: { path: 'a' } }, { type: 'tool_call', id: 'c2', name: 'shell', args: { command: 'shot' } }] },
            { role: 'user', content: [{ type: 'tool_result', callId: 'c1', name: 'file_read', text: 'A' }, { type: 'tool_result', callId: 'c2', name: 'shell', text: 'png', images: [{ data: 'AAAA', mimeType: 'image/png' }] }] },
          ],
        }));
        const messages = openaiBody(fake.requests[0]!).messages.slice(2);
        assert.deepEqual(messages[0], {
          role: 'assistant', content: 'two calls',
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'file_read', arguments: '{"path":"a"}' } },
            { id: 'c2', type: 'function', function: { name: 'shell', arguments: '{"command":"shot"}' } },
          ],
        });
        assert.deepEqual(messages.slice(1, 3).map((m) => m.role === 'tool' && [m.tool_call_id, m.content]), [['c1', 'A'], ['c2', 'png\n[1 image(s) follow in the next user message]']]);
        assert.deepEqual(messages[3], {
          role: 'user',
          content: [{ type: 'text', text: 'Image(s) returned by shell (call c2):' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }],
        });
      });
    });

    it('openai-compatible: adds /v1 to a bare base URL, needs no key, uses max_tokens', async () => {
      await withFakeModel([{ text: 'local model' }], async (fake) => {
        const provider = createProvider('openai-compatible:qwen3:8b', { baseURL: fake.url, env: {} });
        assert.equal(provider.id, 'openai-compatible:qwen3:8b');
        assert.equal(text(await collect(provider)), 'local model');
        const req = fake.requests[0]!;
        assert.equal(req.path, '/v1/chat/completions');
        assert.equal(openaiBody(req).model, 'qwen3:8b');
        assert.equal(openaiBody(req).max_tokens, 1000);
        assert.equal(openaiBody(req).max_completion_tokens, undefined);
      });
    });

    it('openai-compatible: a 401 names the key and the base URL settings', async () => {
      await withFakeModel([{ error: { status: 401, echoAuth: true } }], async (fake) => {
        const provider = createProvider('openai-compatible:llama', {
          baseURL: fake.openaiBaseURL, apiKey: KEY, env: {}, settingNames: { baseURL: 'the suna.model.baseUrl setting' },
        });
        const err = await rejection(collect(provider));
        assert.match(err.message, /OPENAI_COMPATIBLE_API_KEY is missing or invalid/);
        assert.match(err.message, /check that the suna.model.baseUrl setting points at the intended server/);
        assert.ok(!err.message.includes(KEY));
      });
    });

    it('fails without a request when OPENAI_API_KEY is missing', async () => {
      await withFakeModel([{ text: 'never' }], async (fake) => {
        const err = await rejection(collect(createProvider('openai', { baseURL: fake.openaiBaseURL, env: {} })));
        assert.match(err.message, /OPENAI_API_KEY is missing/);
        assert.equal(fake.requests.length, 0);
      });
    });
  });

  it('reports an unreachable server as a retryable network error naming the base URL setting', async () => {
    const provider = createProvider('anthropic', { apiKey: KEY, baseURL: 'http://127.0.0.1:9', env: {} });
    const err = await rejection(collect(provider));
    assert.equal(err.kind, 'network');
    assert.equal(err.retryable, true);
    assert.match(err.message, /ANTHROPIC_BASE_URL/);
  });
});

describe('createProvider', () => {
  it('parses provider:model names, defaults and colons inside model names', () => {
    assert.equal(DEFAULT_MODEL, 'anthropic:claude-sonnet-5-5');
    assert.deepEqual(parseModelSpec('anthropic'), { provider: 'anthropic', model: 'claude-sonnet-5-5' });
    assert.deepEqual(parseModelSpec('openai'), { provider: 'openai', model: 'gpt-5.4-nano' });
    assert.deepEqual(parseModelSpec('openai-compatible:llama3.1:8b'), { provider: 'openai-compatible', model: 'llama3.1:8b' });
    assert.throws(() => parseModelSpec('gemini:pro'), /unknown model "gemini:pro": use anthropic:<model>/);
    assert.throws(() => parseModelSpec('openai-compatible'), ProviderError);
    assert.equal(createProvider().id, 'anthropic:claude-sonnet-5-5');
  });

  it('knows context windows, with sane defaults and an override', () => {
    assert.equal(contextWindowFor('anthropic', 'claude-sonnet-5-5'), 200_000);
    assert.equal(contextWindowFor('openai', 'gpt-4o-mini'), 128_000);
    assert.equal(contextWindowFor('openai-compatible', 'mystery-model'), 128_000);
    assert.equal(createProvider('openai-compatible:x', { baseURL: 'http://h/v1', contextWindow: 32_000 }).contextWindow, 32_000);
  });

  it('needs a base URL for openai-compatible, naming the setting', () => {
    assert.throws(() => createProvider('openai-compatible:llama', { env: {} }), /needs a base URL: set OPENAI_COMPATIBLE_BASE_URL/);
  });

  it('lets explicit settings win over the environment', async () => {
    await withFakeModel([{ text: 'a' }, { text: 'b' }], async (fake) => {
      const env = { ANTHROPIC_API_KEY: 'sk-from-env-1234567', ANTHROPIC_BASE_URL: fake.anthropicBaseURL };
      await collect(createProvider('anthropic', { env }));
      await collect(createProvider('anthropic', { env, apiKey: 'sk-explicit-7654321' }));
      assert.deepEqual(fake.requests.map((r) => r.headers['authorization']), ['Bearer sk-from-env-1234567', 'Bearer sk-explicit-7654321']);
    });
  });
});

describe('retry policy', () => {
  it('parses retry-after as seconds, an HTTP date, or retry-after-ms', () => {
    const h = (o: Record<string, string>) => new Headers(o);
    assert.equal(parseRetryAfter(h({ 'retry-after': '3' })), 3000);
    assert.equal(parseRetryAfter(h({ 'retry-after-ms': '250' })), 250);
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter(h({ 'retry-after': 'Thu, 01 Jan 2026 00:00:07 GMT' }), now), 7000);
    assert.equal(parseRetryAfter(h({ 'retry-after': 'soon' })), undefined);
    assert.equal(parseRetryAfter(h({})), undefined);
  });

  it('backs off exponentially with jitter, and caps a server-requested wait', () => {
    const p = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 8000, maxRetryAfterMs: 60_000 };
    assert.equal(retryDelay(1, p, undefined, () => 0), 500);
    assert.equal(retryDelay(1, p, undefined, () => 1), 1000);
    assert.equal(retryDelay(3, p, undefined, () => 1), 4000);
    assert.equal(retryDelay(10, p, undefined, () => 1), 8000);
    const jittered = new Set(Array.from({ length: 20 }, () => retryDelay(2, p)));
    assert.ok(jittered.size > 1, 'random jitter spreads the delays');
    assert.equal(retryDelay(1, p, 3_600_000), 60_000);
  });

  it('gives up after maxAttempts', async () => {
    await withFakeModel(Array.from({ length: 3 }, () => ({ error: { status: 500 } })), async (fake) => {
      const err = await rejection(collectWithRetry(providers.openai(fake), { ...FAST, maxAttempts: 3 }));
      assert.equal(err.kind, 'server');
      assert.equal(fake.modelRequests().length, 3);
    });
  });

  it('keeps keys, masked keys and bearer tokens out of error messages', () => {
    const ctx = { providerId: 'openai:x', model: 'x', baseURL: 'https://api.openai.com/v1', customBaseURL: false, settings: { apiKey: 'OPENAI_API_KEY', baseURL: 'OPENAI_BASE_URL' }, secrets: ['short-but-secret'] };
    const err = classifyHttpError({ status: 401, headers: undefined, serverMessage: 'Incorrect API key provided: sk-proj-abc1****wxyz (short-but-secret, Bearer abcdefgh12345678)' }, ctx);
    for (const leak of ['abc1', 'short-but-secret', 'abcdefgh12345678']) assert.ok(!err.message.includes(leak), err.message);
    assert.match(err.message, /^OPENAI_API_KEY is missing or invalid \(401 from https:\/\/api.openai.com\/v1\): set it to a valid key for openai:x\./);
  });
});
