// Operating it: /healthz, /readyz, /metrics moved by exactly the calls made, OTLP traces with the right
// parent/child structure, logs free of canary secrets, and the per-token rate limit.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startFakeModelServer, type FakeModelServer } from '../../../shared/test/fixtures/fake-model-server.ts';
import { startHttpServer, type HttpServer } from '../fixtures/server.ts';

const TOKEN = 'obs-token-0123456789abcdef';
const CANARIES = {
  ANTHROPIC_API_KEY: 'sk-ant-canary-ANTHROPIC-7f3a9c',
  OPENAI_API_KEY: 'sk-canary-OPENAI-2b8d1e',
  TAVILY_API_KEY: 'tvly-canary-TAVILY-9c4e2a',
  FIRECRAWL_API_KEY: 'fc-canary-FIRECRAWL-5d7b3f',
  NETLIFY_AUTH_TOKEN: 'canary-NETLIFY-8e1f6c',
};

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: { key: string; value: Record<string, unknown> }[];
}

/** A plain HTTP server accepting OTLP/HTTP JSON, as a trace backend would. */
function otlpReceiver(): Promise<{ server: Server; url: string; spans: OtlpSpan[] }> {
  const spans: OtlpSpan[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.url === '/v1/traces') {
      const body = JSON.parse(Buffer.concat(chunks).toString());
      for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans.push(...(ss.spans ?? []));
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  }).listen(0, '127.0.0.1');
  return new Promise((resolve) => server.once('listening', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans })));
}

function metricValue(text: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(name + '{') && want.every((w) => l.includes(w)));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('observability (HTTP mode)', function () {
  this.timeout(180_000);
  let server: HttpServer;
  let url = '';
  let base = '';
  let client: Client;
  let otlp: Awaited<ReturnType<typeof otlpReceiver>>;
  let fake: FakeModelServer;
  let dataDir: string;

  before(async () => {
    otlp = await otlpReceiver();
    fake = await startFakeModelServer([]);
    dataDir = mkdtempSync(join(tmpdir(), 'suna-obs-'));
    server = await startHttpServer({
      ...CANARIES,
      SUNA_TOKEN: TOKEN,
      SUNA_LOG_LEVEL: 'debug',
      SUNA_RATE_LIMIT: '120',
      SUNA_DATA_DIR: dataDir,
      ANTHROPIC_BASE_URL: fake.anthropicBaseURL,
      SUNA_MODEL: 'anthropic:claude-sonnet-5-5',
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
    });
    url = server.url;
    base = url.replace(/\/mcp$/, '');
    client = await server.client('obs');
  });
  after(async () => {
    await client?.close().catch(() => {});
    await server?.stop();
    otlp?.server.close();
    await fake?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers /healthz and /readyz without a token', async () => {
    const h = await fetch(`${base}/healthz`);
    assert.equal(h.status, 200);
    assert.equal((await h.json()).status, 'ok');
    const r = await fetch(`${base}/readyz`);
    const body = await r.json();
    assert.equal(r.status, 200, JSON.stringify(body));
    assert.equal(body.ready, true);
    assert.equal(body.checks.docker.ok, true);
    assert.equal(body.checks.image.ok, true);
    assert.equal(body.checks.store.ok, true);
  });

  it('/metrics needs the token and counts exactly the calls made', async () => {
    assert.equal((await fetch(`${base}/metrics`)).status, 401);
    const scrape = async () => (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    const before = await scrape();
    await client.callTool({ name: 'shell_exec', arguments: { command: 'true' } });
    await client.callTool({ name: 'shell_exec', arguments: { command: 'true' } });
    await client.callTool({ name: 'file_read', arguments: { path: 'does/not/exist.txt' } });
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => metricValue(after, name, labels) - metricValue(before, name, labels);
    assert.equal(delta('suna_tool_calls_total', { tool: 'shell_exec', outcome: 'ok' }), 2);
    assert.equal(delta('suna_tool_calls_total', { tool: 'file_read', outcome: 'error' }), 1);
    assert.equal(delta('suna_tool_duration_seconds_count', { tool: 'shell_exec' }), 2);
    assert.ok(metricValue(after, 'suna_sandbox_starts_total', { kind: 'daemon' }) >= 1);
  });

  it('exports a run as a trace: model calls and tool calls are children of the run span', async () => {
    fake.push({ toolCalls: [{ name: 'shell_exec', args: { command: 'echo traced' } }], usage: { input: 100, output: 20 } }, { text: 'done', usage: { input: 150, output: 5 } });
    const r = (await client.callTool({ name: 'agent_run', arguments: { task: 'trace me', wait_s: 30 } })) as CallToolResult;
    assert.equal((r.structuredContent as { status: string }).status, 'completed');
    const deadline = Date.now() + 10_000;
    let run: OtlpSpan | undefined;
    while (Date.now() < deadline && !(run = otlp.spans.find((s) => s.name === 'agent run'))) await new Promise((res) => setTimeout(res, 200));
    await new Promise((res) => setTimeout(res, 1000)); // the children are in the same or an earlier batch
    assert.ok(run, `no run span; got ${otlp.spans.map((s) => s.name).join(', ')}`);
    const children = otlp.spans.filter((s) => s.parentSpanId === run!.spanId);
    const names = children.map((s) => s.name);
    assert.equal(names.filter((n) => n === 'chat claude-sonnet-5-5').length, 2, names.join(', '));
    assert.ok(names.includes('tool shell_exec'), names.join(', '));
    assert.ok(children.every((s) => s.traceId === run!.traceId));
    const chat = children.find((s) => s.name.startsWith('chat'))!;
    const attr = (s: OtlpSpan, k: string) => s.attributes?.find((a) => a.key === k)?.value;
    assert.deepEqual(attr(chat, 'gen_ai.usage.input_tokens'), { intValue: 100 });
    const metrics = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    assert.equal(metricValue(metrics, 'suna_model_tokens_total', { provider: 'anthropic', model: 'claude-sonnet-5-5', direction: 'in' }), 250);
    assert.equal(metricValue(metrics, 'suna_agent_runs_total', { status: 'completed' }), 1);
  });

  it('never writes a canary secret to the logs, even at debug level', async () => {
    await client.callTool({ name: 'shell_exec', arguments: { command: 'env; echo $ANTHROPIC_API_KEY' } });
    const stderr = server.stderr();
    for (const [name, value] of Object.entries(CANARIES)) assert.ok(!stderr.includes(value), `${name} leaked into the logs`);
    assert.ok(!stderr.includes(TOKEN), 'the bearer token leaked into the logs');
    assert.match(stderr, /"msg":"tool call"/);
  });

  it('answers a burst over the rate limit with 429 and retry-after, and later calls succeed', async () => {
    const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    const statuses: number[] = [];
    let retryAfter = '';
    for (let i = 0; i < 40; i++) {
      const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: init });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after') ?? '';
      await res.body?.cancel();
    }
    assert.ok(statuses.includes(429), `no 429 in ${statuses.join(',')}`);
    assert.ok(Number(retryAfter) >= 1, `retry-after ${retryAfter}`);
    await new Promise((r) => setTimeout(r, Number(retryAfter) * 1000 + 100));
    const ok = (await client.callTool({ name: 'shell_exec', arguments: { command: 'echo after' } })) as CallToolResult;
    assert.equal((ok.structuredContent as { stdout: string }).stdout, 'after\n');
  });
});
