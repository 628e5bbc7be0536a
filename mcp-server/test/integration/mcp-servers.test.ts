// agent_run with external MCP servers (--mcp-config): a stdio server and a Streamable HTTP server written
// with the SDK, next to the sandbox tools, driven by a scripted fake model through the real Anthropic SDK,
// the built CLI and the real sandbox.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { startFakeModelServer, anthropicBody, type FakeModelServer, type RecordedRequest } from '../../../shared/test/fixtures/fake-model-server.ts';
import { startHttpTestServer, stdioServerCommand, type HttpTestServer } from '../fixtures/mcp-test-servers.ts';
import { CLI, serverEnv, TestServer } from '../fixtures/server.ts';

const WEB_KEY = 'web-mcp-header-secret-4f9a2c';
const STDIO_TOKEN = 'stdio-env-token-8b31d7';

interface Started {
  server: TestServer;
  stderr: () => string;
}

/** The built CLI over stdio, keeping all of its stderr (the fixture's startServer keeps only a tail). */
async function startWithStderr(env: Record<string, string>, args: string[] = []): Promise<Started> {
  const e = serverEnv(env);
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI, ...args], env: e, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: 'suna-test', version: '1.0.0' });
  try {
    await client.connect(transport);
  } catch (err) {
    throw new Error(`server did not start: ${(err as Error).message}\n${stderr}`);
  }
  return { server: new TestServer(client, transport, e.SUNA_SANDBOX_NAME!), stderr: () => stderr };
}

const toolsOf = (req: RecordedRequest) => (anthropicBody(req).tools ?? []) as Array<{ name: string; description?: string }>;
const messagesOf = (req: RecordedRequest) => JSON.stringify(anthropicBody(req).messages);

describe('agent_run with external MCP servers (--mcp-config)', function () {
  this.timeout(180_000);
  let fake: FakeModelServer;
  let web: HttpTestServer;
  let s: Started;
  let dir: string;

  before(async () => {
    fake = await startFakeModelServer([]);
    web = await startHttpTestServer(WEB_KEY);
    dir = mkdtempSync(join(tmpdir(), 'suna-mcp-hub-'));
    const stdio = stdioServerCommand();
    writeFileSync(
      join(dir, 'mcp.json'),
      JSON.stringify({
        mcpServers: {
          calc: { ...stdio, env: { STDIO_TEST_TOKEN: STDIO_TOKEN, MARKER_FILE: join(dir, 'calc.started') }, allowedTools: ['add', 'crash'] },
          web: { type: 'http', url: web.url, headers: { 'X-Api-Key': '${WEB_MCP_KEY}' } },
          off: { ...stdio, env: { MARKER_FILE: join(dir, 'off.started') }, disabled: true },
          broken: { command: join(dir, 'no-such-mcp-server') },
        },
      }),
    );
    s = await startWithStderr({
      ANTHROPIC_API_KEY: 'sk-ant-test-key-123456',
      ANTHROPIC_BASE_URL: fake.anthropicBaseURL,
      SUNA_MODEL: 'anthropic:claude-sonnet-5-5',
      SUNA_DATA_DIR: join(dir, 'data'),
      SUNA_MCP_CONFIG: join(dir, 'mcp.json'),
      SUNA_LOG_LEVEL: 'debug', // the most talkative log is the one that must not leak
      WEB_MCP_KEY: WEB_KEY,
    });
  });
  after(async () => {
    await s?.server.close();
    await web?.close();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('one run calls a stdio server tool, an HTTP server tool and a sandbox tool, and sees all three results', async () => {
    fake.push(
      {
        text: 'Using all three.',
        toolCalls: [
          { name: 'calc__add', args: { a: 19, b: 23 } },
          { name: 'web__greet', args: { name: 'Ada' } },
          { name: 'shell_exec', args: { command: 'echo sandbox-says-hi' } },
        ],
      },
      { text: 'The sum is 42, the greeting is "hello, Ada" and the sandbox said hi.' },
    );
    const r = await s.server.ok('agent_run', { task: 'Use the calculator, the greeter and the shell', wait_s: 40 });
    assert.equal(r.structured?.status, 'completed', r.text);
    // The first reply names the external tools the user has just enabled, and the server that did not start.
    assert.match(r.text, /\(external tools: calc__add, calc__crash, web__greet, web__whoami\)/);
    assert.match(r.text, /MCP server "broken" is unavailable \(could not start: spawn .*no-such-mcp-server ENOENT\); this run continues without its tools/);
    assert.match(r.text, /✓ calc__add \{"a":19,"b":23\} → sum: 42/);
    assert.match(r.text, /✓ web__greet \{"name":"Ada"\} → hello, Ada/);
    assert.match(r.text, /✓ shell_exec \{"command":"echo sandbox-says-hi"\} → exit code 0/);

    const [first, second] = fake.modelRequests().slice(-2) as [RecordedRequest, RecordedRequest];
    const names = toolsOf(first).map((t) => t.name);
    for (const n of ['calc__add', 'calc__crash', 'web__greet', 'web__whoami', 'shell_exec', 'file_read']) assert.ok(names.includes(n), `${n} offered`);
    assert.ok(!names.includes('calc__hidden_tool'), 'allowedTools hides hidden_tool');
    assert.ok(!names.some((n) => n.startsWith('off__') || n.startsWith('broken__')), 'disabled and failed servers offer nothing');
    assert.ok(!names.includes('mcp_servers'), 'the agent cannot approve tool changes itself');
    assert.match(JSON.stringify(anthropicBody(first).system), /<server>__<tool> come from external MCP servers/);
    const results = messagesOf(second);
    assert.match(results, /sum: 42/);
    assert.match(results, /hello, Ada/);
    assert.match(results, /sandbox-says-hi/);
  });

  it('an allow-listed tool stays hidden even when the model asks for it, and a disabled server is never started', async () => {
    fake.push({ toolCalls: [{ name: 'calc__hidden_tool', args: {} }] }, { text: 'It is not available.' });
    const r = await s.server.ok('agent_run', { task: 'Call the hidden tool', wait_s: 40 });
    assert.equal(r.structured?.status, 'completed', r.text);
    assert.match(r.text, /✗ calc__hidden_tool \{\} → error: There is no tool named "calc__hidden_tool"/);
    assert.doesNotMatch(messagesOf(fake.modelRequests().at(-1)!), /hidden tool ran/);
    assert.ok(existsSync(join(dir, 'calc.started')), 'the enabled stdio server was started');
    assert.ok(!existsSync(join(dir, 'off.started')), 'the disabled server was not');

    const list = await s.server.ok('mcp_servers', { action: 'list' });
    assert.match(list.text, /- calc \(stdio\): ready\n {2}tools: calc__add, calc__crash\n {2}hidden by allowedTools: hidden_tool/);
    assert.match(list.text, /- off \(stdio\): disabled/);
    assert.match(list.text, /- broken \(stdio\): failed — could not start/);
    assert.match(list.text, /- web \(http\): ready\n {2}tools: web__greet, web__whoami/);
  });

  it('a header secret never appears in agent_run output, in what the model reads, or in the server log', async () => {
    fake.push({ toolCalls: [{ name: 'web__whoami', args: {} }] }, { text: 'Checked who I am.' });
    const r = await s.server.ok('agent_run', { task: 'Who am I on the web server?', wait_s: 40 });
    assert.equal(r.structured?.status, 'completed', r.text);
    assert.match(r.text, /✓ web__whoami \{\} → you called with X-Api-Key: \[redacted\]/, 'the server did receive and echo the header');
    assert.equal(web.unauthorized, 0, 'every request to the HTTP server carried the header');
    const everything = [r.text, JSON.stringify(r.structured), JSON.stringify(fake.requests.map((q) => q.body)), s.stderr()].join('\n');
    assert.ok(!everything.includes(WEB_KEY), 'the header secret leaked');
    assert.ok(!everything.includes(STDIO_TOKEN), 'the stdio env secret leaked');
    // The stdio server printed its token to stderr, and the log carried that line, redacted.
    const logLines = s.stderr().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(logLines.some((l) => l.msg === 'external MCP server stderr' && l.server === 'calc' && l.line === 'stdio test server up (token [redacted])'));
    // The descriptions the model reads were logged once, at info, when the servers were first enabled.
    const enabled = logLines.filter((l) => l.msg === 'external MCP tools enabled' && l.server === 'web');
    assert.equal(enabled.length, 1);
    assert.equal(enabled[0]!.level, 'info');
    assert.deepEqual(enabled[0]!.tools, [
      { name: 'web__greet', description: 'Greet someone.' },
      { name: 'web__whoami', description: 'Show the API key the caller sent.' },
    ]);
  });

  it('a changed tool list is held — old definitions served, changed tools refused — until confirmed with mcp_servers', async () => {
    web.changeTools();
    let list = await s.server.ok('mcp_servers', { action: 'list' });
    for (let i = 0; i < 50 && !/web__farewell \(new\)/.test(list.text); i++) {
      await new Promise((r) => setTimeout(r, 100));
      list = await s.server.ok('mcp_servers', { action: 'list' });
    }
    assert.match(list.text, /changed since approval, held until a human confirms:\n {4}web__greet \(changed\): Greet someone\. LOUDLY\.\n {4}web__farewell \(new\): Say goodbye to someone\./);
    assert.match(list.text, /after review: mcp_servers \{"action":"confirm","server":"web"\}/);

    fake.push({ toolCalls: [{ name: 'web__greet', args: { name: 'Bob' } }, { name: 'web__farewell', args: { name: 'Bob' } }] }, { text: 'Both were refused.' });
    const held = await s.server.ok('agent_run', { task: 'Greet and say goodbye to Bob', wait_s: 40 });
    assert.equal(held.structured?.status, 'completed', held.text);
    assert.match(held.text, /MCP server "web" has tool changes held until a human confirms them: web__greet \(changed\), web__farewell \(new\)/);
    assert.match(held.text, /✗ web__greet \{"name":"Bob"\} → error: web__greet: tool changed since it was approved; a human must confirm/);
    assert.match(held.text, /✗ web__farewell \{"name":"Bob"\} → error: There is no tool named "web__farewell"/);
    const heldTools = toolsOf(fake.modelRequests().at(-1)!);
    assert.equal(heldTools.find((t) => t.name === 'web__greet')?.description, 'Greet someone.', 'the approved definition is what the model sees');
    assert.ok(!heldTools.some((t) => t.name === 'web__farewell'));
    assert.doesNotMatch(messagesOf(fake.modelRequests().at(-1)!), /HELLO, BOB/);

    const noServer = await s.server.call('mcp_servers', { action: 'confirm' });
    assert.equal(noServer.isError, true);
    assert.match(noServer.text, /confirm needs "server"; servers with tool changes waiting: web/);
    const confirmed = await s.server.ok('mcp_servers', { action: 'confirm', server: 'web' });
    assert.match(confirmed.text, /Approved 2 tool change\(s\) of MCP server "web"/);
    assert.deepEqual(confirmed.structured?.approved, ['web__greet', 'web__farewell']);

    fake.push({ toolCalls: [{ name: 'web__greet', args: { name: 'Bob' } }, { name: 'web__farewell', args: { name: 'Bob' } }] }, { text: 'Greeted and said goodbye.' });
    const ok = await s.server.ok('agent_run', { task: 'Greet and say goodbye to Bob', wait_s: 40 });
    assert.equal(ok.structured?.status, 'completed', ok.text);
    assert.match(ok.text, /✓ web__greet \{"name":"Bob"\} → HELLO, BOB!/);
    assert.match(ok.text, /✓ web__farewell \{"name":"Bob"\} → goodbye, Bob/);
    assert.equal(toolsOf(fake.modelRequests().at(-2)!).find((t) => t.name === 'web__greet')?.description, 'Greet someone. LOUDLY.');
  });

  it('a server that crashes mid-run is reported in the transcript, and the run completes without it', async () => {
    fake.push(
      { toolCalls: [{ name: 'calc__crash', args: {} }] },
      { toolCalls: [{ name: 'calc__add', args: { a: 1, b: 1 } }, { name: 'shell_exec', args: { command: 'echo still-here' } }] },
      { text: 'The calculator died; the sandbox still works.' },
    );
    const r = await s.server.ok('agent_run', { task: 'Crash the calculator, then go on', wait_s: 40 });
    assert.equal(r.structured?.status, 'completed', r.text);
    assert.match(r.text, /✗ calc__crash \{\} → error: MCP server "calc" is unavailable \(the server process exited/);
    assert.match(r.text, /\(MCP server "calc" stopped: the server process exited; last stderr line: stdio test server: crashing on purpose; its tools are unavailable/);
    assert.match(r.text, /✗ calc__add \{"a":1,"b":1\} → error: MCP server "calc" is unavailable/);
    assert.match(r.text, /✓ shell_exec \{"command":"echo still-here"\}/);
    assert.match(r.text, /answer:\nThe calculator died; the sandbox still works\./);

    // Later runs are told up front, and are not offered its tools.
    fake.push({ text: 'ok' });
    const next = await s.server.ok('agent_run', { task: 'anything', wait_s: 40 });
    assert.match(next.text, /MCP server "calc" is unavailable \(the server process exited/);
    assert.ok(!toolsOf(fake.modelRequests().at(-1)!).some((t) => t.name.startsWith('calc__')));
    const list = await s.server.ok('mcp_servers', { action: 'list' });
    assert.match(list.text, /- calc \(stdio\): closed — the server process exited/);
  });
});

describe('--mcp-config errors', function () {
  this.timeout(120_000);

  it('agent_run fails at once with the problem when the config file is invalid, and mcp_servers says the same', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'suna-mcp-bad-'));
    writeFileSync(join(dir, 'mcp.json'), JSON.stringify({ mcpServers: { 'git__hub': { command: 'x' } } }));
    const { server } = await startWithStderr({ ANTHROPIC_API_KEY: 'sk-ant-test-key-123456', SUNA_MODEL: 'anthropic:claude-sonnet-5-5', SUNA_DATA_DIR: join(dir, 'data') }, ['--mcp-config', join(dir, 'mcp.json')]);
    try {
      const r = await server.call('agent_run', { task: 'x', wait_s: 5 });
      assert.equal(r.isError, true);
      assert.match(r.text, /--mcp-config .*mcp\.json: mcpServers\."git__hub": a server name may not contain "__"/);
      const list = await server.call('mcp_servers', { action: 'list' });
      assert.equal(list.isError, true);
      assert.match(list.text, /may not contain "__"/);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
