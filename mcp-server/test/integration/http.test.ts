// Streamable HTTP transport: a real SDK client with the token works; foreign Origin/Host, missing or wrong
// token, oversized and malformed bodies are refused with the right status.
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { rawHttp as raw, startHttpServer, type HttpServer } from '../fixtures/server.ts';

const TOKEN = 'test-token-0123456789abcdef';

const initBody = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});
const jsonHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

describe('HTTP transport', function () {
  this.timeout(120_000);
  let server: HttpServer;
  let url = '';

  before(async () => {
    server = await startHttpServer({ SUNA_TOKEN: TOKEN, SUNA_LOG_LEVEL: 'info' }, ['--max-body-bytes', '65536']);
    url = server.url;
  });
  after(async () => server?.stop());

  it('serves the real SDK client with the bearer token, and runs a tool', async () => {
    const client = new Client({ name: 'http-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } } }));
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'shell_exec'));
    const r = (await client.callTool({ name: 'shell_exec', arguments: { command: 'echo over-http' } })) as CallToolResult;
    assert.equal((r.structuredContent as { stdout: string }).stdout, 'over-http\n');
    await client.close();
  });

  it('binds to loopback only by default', () => {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
  });

  it('refuses a missing or wrong token with 401 and never logs the token', async () => {
    assert.equal((await raw(url, { headers: jsonHeaders, body: initBody })).status, 401);
    assert.equal((await raw(url, { headers: { ...jsonHeaders, authorization: 'Bearer wrong' }, body: initBody })).status, 401);
    assert.equal((await raw(url, { headers: { ...jsonHeaders, authorization: TOKEN }, body: initBody })).status, 401);
    assert.ok(!server.stderr().includes(TOKEN), 'the token appeared in the logs');
  });

  it('refuses a foreign Origin with 403 even with the right token', async () => {
    const r = await raw(url, { headers: { ...jsonHeaders, authorization: `Bearer ${TOKEN}`, origin: 'https://evil.example' }, body: initBody });
    assert.equal(r.status, 403);
    const ok = await raw(url, { headers: { ...jsonHeaders, authorization: `Bearer ${TOKEN}`, origin: 'http://localhost:3000' }, body: initBody });
    assert.equal(ok.status, 200);
  });

  it('refuses a foreign Host with 403 (DNS rebinding)', async () => {
    const r = await raw(url, { headers: { ...jsonHeaders, authorization: `Bearer ${TOKEN}`, host: 'evil.example:80' }, body: initBody });
    assert.equal(r.status, 403);
  });

  it('refuses an oversized body with 413 and a malformed one with a JSON-RPC parse error', async () => {
    const big = await raw(url, { headers: { ...jsonHeaders, authorization: `Bearer ${TOKEN}` }, body: Buffer.alloc(100_000, 'a') });
    assert.equal(big.status, 413);
    const bad = await raw(url, { headers: { ...jsonHeaders, authorization: `Bearer ${TOKEN}` }, body: '{"jsonrpc": "2.0", "id": 1, "method": ' });
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(bad.body).error.code, -32700);
  });

  it('answers an unknown session id with 404', async () => {
    const r = await raw(url, { headers: { ...jsonHeaders, authorization: `Bearer ${TOKEN}`, 'mcp-session-id': 'no-such-session' }, body: initBody });
    assert.equal(r.status, 404);
  });
});
