// Secret canaries: provider keys and tokens in the server's environment never reach the sandbox (its process
// environments, the container config), tool results, logs at debug level, or error messages — including error
// paths where the remote service echoes the key back (as OpenAI does) and the server relays its message.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type TestServer } from '../fixtures/server.ts';
import { docker, startHttpServer, textOf } from './helpers.ts';

const rnd = () => randomBytes(8).toString('hex');
// Realistic shapes (so the generic patterns of the redactor are not the only line of defence), unique values.
const CANARIES = {
  ANTHROPIC_API_KEY: `sk-ant-api03-canary${rnd()}`,
  OPENAI_API_KEY: `sk-proj-canary${rnd()}`,
  TAVILY_API_KEY: `tvly-canary${rnd()}`,
  FIRECRAWL_API_KEY: `fc-canary${rnd()}`,
  NETLIFY_AUTH_TOKEN: `nfp_canary${rnd()}`,
  SUNA_TOKEN: `suna-canary-${rnd()}`,
};
const VALUES = Object.values(CANARIES);

function assertClean(where: string, text: string): void {
  for (const [name, value] of Object.entries(CANARIES)) {
    assert.ok(!text.includes(value), `${name} leaked into ${where}`);
    // A partial echo (a provider showing the key's end, a message cut in the middle of it) is a leak too:
    // no 8 characters in a row of the random part may appear.
    const random = /[0-9a-f]{16}$/.exec(value)![0];
    for (let i = 0; i + 8 <= random.length; i++) assert.ok(!text.includes(random.slice(i, i + 8)), `part of ${name} leaked into ${where}`);
  }
}

/** A stand-in for every remote API: answers each request with an error that echoes all it was sent. */
function echoServer(): Promise<{ server: Server; url: string; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const echoed = JSON.stringify({ url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8').slice(0, 2000) });
    hits.push(`${req.method} ${req.url}`);
    const key = String(req.headers['x-api-key'] ?? req.headers.authorization ?? '');
    // 400: not retried by the SDKs. Netlify gets a 500, whose body its client relays cut to 300 characters:
    // the key is placed so that the cut falls inside it (redacting after cutting would leak its start).
    if (req.url!.startsWith('/api/v1/')) {
      const token = key.replace(/^Bearer /, '');
      return res.writeHead(500, { 'content-type': 'text/plain' }).end(`${'x'.repeat(300 - (token.length - 6))}${token} ${echoed}`);
    }
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: `Incorrect API key provided: ${key}. Request: ${echoed}` }, message: `bad key ${key}` }));
  }).listen(0, '127.0.0.1');
  return new Promise((resolve) => server.once('listening', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits })));
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

describe('reliability: secret canaries', function () {
  this.timeout(240_000);
  let echo: Awaited<ReturnType<typeof echoServer>>;
  let s: TestServer;
  let stderr = '';
  let dataDir: string;
  const results: string[] = [];
  const call = async (name: string, args: Record<string, unknown>) => {
    const r = await s.call(name, args);
    results.push(`${name}: ${JSON.stringify(r.result)}`);
    return r;
  };

  before(async () => {
    echo = await echoServer();
    dataDir = mkdtempSync(join(tmpdir(), 'suna-canary-'));
    s = await startServer({
      env: {
        ...CANARIES,
        ANTHROPIC_BASE_URL: echo.url,
        OPENAI_BASE_URL: `${echo.url}/v1`,
        TAVILY_API_URL: echo.url,
        FIRECRAWL_API_URL: echo.url,
        NETLIFY_API_URL: echo.url,
        SUNA_MODEL: 'anthropic:claude-sonnet-5-5',
        SUNA_LOG_LEVEL: 'debug',
        SUNA_DATA_DIR: dataDir,
      },
    });
    s.transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  });
  after(async () => {
    await s?.close();
    echo?.server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('no process in the sandbox has a canary in its environment, nor has the container config', async () => {
    await call('shell_start', { command: 'sleep 300', name: 'env-holder' });
    const r = await call('shell_exec', { command: 'for f in /proc/[0-9]*/environ; do cat "$f" 2>/dev/null; echo; done | tr "\\0" "\\n" | sort -u; echo ---; env' });
    const out = String(r.structured?.stdout);
    assert.match(out, /SUNA_SANDBOX=1/, 'the sandbox environment was not read');
    assert.match(out, /^PATH=/m);
    assertClean('the sandbox process environments', out);
    for (const name of Object.keys(CANARIES)) assert.doesNotMatch(out, new RegExp(`^${name}=`, 'm'), `${name} is set in the sandbox`);
    const info = await docker.getContainer(`suna-${s.sandboxName}`).inspect();
    assertClean('the container config', JSON.stringify(info.Config));
  });

  it('agent_run against a provider that echoes the key: the error names the variable, never the key (anthropic and openai)', async () => {
    for (const model of ['anthropic:claude-sonnet-5-5', 'openai:gpt-5.4-nano']) {
      const r = await call('agent_run', { task: 'say hi', model, wait_s: 30 });
      let text = r.text;
      if (r.structured?.status === 'running') text += (await call('agent_status', { run_id: String(r.structured.run_id), wait_s: 30 })).text;
      assert.match(text, /failed|error|rejected/i, `${model}: ${text}`);
      assert.match(text, model.startsWith('anthropic') ? /ANTHROPIC/ : /OPENAI/, `${model}: ${text}`);
      assertClean(`the ${model} agent error`, text);
    }
    assert.ok(echo.hits.some((h) => h.includes('/messages')), 'the anthropic stand-in was never called');
    assert.ok(echo.hits.some((h) => h.includes('/chat/completions') || h.includes('/responses')), 'the openai stand-in was never called');
  });

  it('site_deploy to Netlify, web_search and web_scrape relay the echoed errors without the keys', async () => {
    await call('file_write', { path: 'site/index.html', content: '<h1>x</h1>' });
    const deploy = await call('site_deploy', { directory: 'site', name: 'canary-site', provider: 'netlify' });
    assert.equal(deploy.isError, true, deploy.text);
    assert.match(deploy.text, /Netlify answered 500/);
    assertClean('the site_deploy error', deploy.text);
    const { tools } = await s.client.listTools();
    if (tools.some((t) => t.name === 'web_search')) {
      const r = await call('web_search', { query: 'canary test' });
      assert.equal(r.isError, true, r.text);
      assertClean('the web_search error', r.text);
    }
    if (tools.some((t) => t.name === 'web_scrape')) {
      const r = await call('web_scrape', { url: 'https://example.com/' });
      assert.equal(r.isError, true, r.text);
      assertClean('the web_scrape error', r.text);
    }
  });

  it('input that quotes a key back (as a path, a command or a bad argument) is redacted in error messages', async () => {
    for (const value of VALUES) {
      const r = await call('file_read', { path: `missing/${value}.txt` });
      assert.equal(r.isError, true);
      assertClean('a file_read error', r.text);
    }
    const bad = await call('shell_exec', { command: 'true', cwd: `../${CANARIES.OPENAI_API_KEY}` });
    assert.equal(bad.isError, true);
    assertClean('a path policy error', bad.text);
  });

  it('nothing in the tool results so far, the debug logs, or the data directory holds a canary', async () => {
    assert.ok(results.length >= 8, `only ${results.length} results collected`);
    assertClean('the tool results', results.join('\n'));
    await s.call('sandbox_status', {});
    assert.match(stderr, /"level":"debug"|"level":"info"/, 'no logs were captured');
    assertClean('the server logs (debug level)', stderr);
    for (const f of filesUnder(dataDir)) if (statSync(f).size < 10 * 1024 * 1024) assertClean(`the data file ${f}`, readFileSync(f, 'utf8'));
  });

  it('over HTTP, the bearer token (SUNA_TOKEN) is in no log line at debug level and in no error answer', async () => {
    const srv = await startHttpServer({ ...CANARIES, SUNA_LOG_LEVEL: 'debug' });
    try {
      const client = await srv.client();
      const r = await client.callTool({ name: 'shell_exec', arguments: { command: 'env; cat /proc/1/environ 2>/dev/null | tr "\\0" "\\n"' } });
      assertClean('an HTTP tool result', JSON.stringify(r));
      const bad = await client.callTool({ name: 'file_read', arguments: { path: `../${CANARIES.SUNA_TOKEN}` } });
      assertClean('an HTTP tool error', textOf(bad as never));
      const res = await fetch(srv.url, { method: 'POST', headers: { authorization: `Bearer ${CANARIES.SUNA_TOKEN}x`, 'content-type': 'application/json' }, body: '{}' });
      assert.equal(res.status, 401);
      assertClean('a 401 answer', await res.text());
      await client.close();
    } finally {
      await srv.stop();
    }
    assertClean('the HTTP server logs (debug level)', srv.stderr());
  });
});
