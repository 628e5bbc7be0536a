// Streamable HTTP transport: a real SDK client with the token works; foreign Origin/Host, missing or wrong
// token, oversized and malformed bodies are refused with the right status.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { CLI, serverEnv } from '../fixtures/server.ts';

const TOKEN = 'test-token-0123456789abcdef';

interface Raw {
  status: number;
  body: string;
}

function raw(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'POST', headers: opts.headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const initBody = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});
const jsonHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

describe('HTTP transport', function () {
  this.timeout(120_000);
  let proc: ChildProcess;
  let url = '';
  let stderr = '';

  before(async () => {
    proc = spawn(process.execPath, [CLI, '--port', '0', '--max-body-bytes', '65536'], { env: serverEnv({ SUNA_TOKEN: TOKEN, SUNA_LOG_LEVEL: 'info' }), stdio: ['ignore', 'ignore', 'pipe'] });
    url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no listen line:\n${stderr}`)), 30_000);
      proc.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(stderr);
        if (m) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      });
    });
  });
  after(async () => {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  });

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
    assert.ok(!stderr.includes(TOKEN), 'the token appeared in the logs');
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
