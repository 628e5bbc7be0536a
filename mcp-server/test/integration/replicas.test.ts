// Two server replicas on one real Redis (--store redis://…): a run started through replica A is listed,
// followed and cancelled through replica B, and reported interrupted by B when A dies mid-run. The runs use
// only the agent tools and a scripted fake model, so no sandbox is needed (DOCKER_HOST points nowhere).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startFakeModelServer, type FakeModelServer, type FakeTurn } from '../../../shared/test/fixtures/fake-model-server.ts';
import { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startRedis, type TestRedis } from '../fixtures/redis.ts';
import Docker from 'dockerode';
import { DEFAULT_SANDBOX_CONFIG, daemonExec } from '@suna/sandbox';
import { assets } from '@suna/sandbox/assets';
import { startRoundRobin } from '../fixtures/round-robin.ts';
import { rawHttp, removeSandbox, startHttpServer, testSandboxName, type HttpServer } from '../fixtures/server.ts';

type Outcome = { text: string; isError: boolean; s: Record<string, unknown> };

async function call(c: Client, name: string, args: Record<string, unknown> = {}): Promise<Outcome> {
  const r = (await c.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })) as CallToolResult;
  const text = r.content.filter((x) => x.type === 'text').map((x) => (x as { text: string }).text).join('\n');
  return { text, isError: !!r.isError, s: (r.structuredContent ?? {}) as Record<string, unknown> };
}

/** A run that makes a few slow steps (calls to a tool that does not exist: no sandbox needed), then answers. */
function slowRun(steps: number, delayMs: number): FakeTurn[] {
  const turns: FakeTurn[] = [];
  for (let i = 1; i <= steps; i++) turns.push({ text: `step ${i}`, toolCalls: [{ name: 'no_such_tool', args: { i } }], chunkDelayMs: delayMs });
  turns.push({ text: 'All steps done.', chunkDelayMs: delayMs });
  return turns;
}

describe('replicas sharing runs through Redis', function () {
  this.timeout(120_000);
  let redis: TestRedis;
  let fake: FakeModelServer;
  const dirs: string[] = [];
  const servers: HttpServer[] = [];
  const clients: Client[] = [];
  const sandbox = testSandboxName('replicas');

  async function replica(extra: Record<string, string> = {}, args: string[] = []): Promise<{ server: HttpServer; client: Client }> {
    const dataDir = mkdtempSync(join(tmpdir(), 'suna-replica-'));
    dirs.push(dataDir);
    const server = await startHttpServer({
      SUNA_STORE: redis.url,
      SUNA_DATA_DIR: dataDir,
      SUNA_SANDBOX_NAME: sandbox, // one sandbox, hence one run index, served by both replicas
      DOCKER_HOST: 'unix:///nonexistent/docker.sock',
      ANTHROPIC_API_KEY: 'sk-ant-test-key-123456',
      ANTHROPIC_BASE_URL: fake.anthropicBaseURL,
      SUNA_MODEL: 'anthropic:claude-sonnet-5-5',
      ...extra,
    }, args);
    servers.push(server);
    const client = await server.client('replica-test');
    clients.push(client);
    return { server, client };
  }

  before(async () => {
    redis = await startRedis();
    fake = await startFakeModelServer([]);
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => {});
    for (const s of servers) await s.stop().catch(() => {});
    await fake?.close();
    await redis?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a run started through A is listed and followed to its answer through B', async () => {
    const a = await replica();
    const b = await replica();
    fake.push(...slowRun(2, 60));
    const started = await call(a.client, 'agent_run', { task: 'three slow steps', wait_s: 0 });
    assert.equal(started.s.status, 'running', started.text);
    const id = String(started.s.run_id);

    const list = await call(b.client, 'agent_list');
    assert.match(list.text, new RegExp(`${id}\\s+running`), list.text);

    let cursor = 0;
    let status = 'running';
    let transcript = '';
    const progress: number[] = [];
    for (let i = 0; i < 20 && status === 'running'; i++) {
      const r = (await b.client.callTool({ name: 'agent_status', arguments: { run_id: id, cursor, wait_s: 10 } }, undefined, { timeout: 60_000, onprogress: (p) => progress.push(p.progress) })) as CallToolResult;
      const s = r.structuredContent as { status: string; cursor: number };
      assert.ok(s.cursor >= cursor, 'the cursor never goes back');
      cursor = s.cursor;
      status = s.status;
      transcript += r.content.map((c) => (c as { text?: string }).text ?? '').join('\n');
    }
    assert.equal(status, 'completed', transcript);
    assert.match(transcript, /no_such_tool/);
    assert.match(transcript, /All steps done\./);
    // B reads exactly what A reads.
    const viaA = await call(a.client, 'agent_status', { run_id: id, wait_s: 0 });
    const viaB = await call(b.client, 'agent_status', { run_id: id, wait_s: 0 });
    assert.deepEqual(viaB.s.events, viaA.s.events);
    assert.equal(viaB.s.answer, 'All steps done.');
  });

  it('a run started through A is cancelled through B, and A stops it', async () => {
    const fresh = await startFakeModelServer(slowRun(40, 100)); // its own script: the rest is never asked for
    try {
      const a = await replica({ ANTHROPIC_BASE_URL: fresh.anthropicBaseURL });
      const b = await replica({ ANTHROPIC_BASE_URL: fresh.anthropicBaseURL });
      const started = await call(a.client, 'agent_run', { task: 'many slow steps', wait_s: 0 });
      const id = String(started.s.run_id);
      const c = await call(b.client, 'agent_cancel', { run_id: id });
      assert.equal(c.isError, false, c.text);
      assert.match(c.text, /cancelled/);
      const viaA = await call(a.client, 'agent_status', { run_id: id, wait_s: 0 });
      assert.equal(viaA.s.status, 'cancelled', viaA.text);
      const again = await call(b.client, 'agent_cancel', { run_id: id });
      assert.match(again.text, /not running \(cancelled\)/);
      const requestsAfter = fresh.modelRequests().length;
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(fresh.modelRequests().length, requestsAfter, 'A made no model call after the cancel');
    } finally {
      await fresh.close();
    }
  });

  it('when A is killed mid-run, B reports the run interrupted once A\'s lease expires', async () => {
    const fresh = await startFakeModelServer(slowRun(40, 100));
    try {
      const a = await replica({ ANTHROPIC_BASE_URL: fresh.anthropicBaseURL });
      const b = await replica({ ANTHROPIC_BASE_URL: fresh.anthropicBaseURL });
      const started = await call(a.client, 'agent_run', { task: 'long', wait_s: 1 });
      const id = String(started.s.run_id);
      process.kill(a.server.proc.pid!, 'SIGKILL');
      await new Promise((r) => a.server.proc.once('exit', r));
      const t0 = Date.now();
      const r = await call(b.client, 'agent_status', { run_id: id, cursor: 0, wait_s: 0 });
      assert.equal(r.s.status, 'running', 'right after the kill the lease still holds');
      const later = await call(b.client, 'agent_status', { run_id: id, cursor: 1000, wait_s: 20 });
      assert.equal(later.s.status, 'interrupted', later.text);
      assert.match(later.text, /server stopped while this run was in flight/);
      assert.ok(Date.now() - t0 < 15_000, 'noticed within a few lease periods');
      const list = await call(b.client, 'agent_list');
      assert.match(list.text, new RegExp(`${id}\\s+interrupted`));
    } finally {
      await fresh.close();
    }
  });

  it('run ids that are not ours never reach a store key', async () => {
    const b = await replica();
    for (const bad of ['suna:lease:*', 'run_../x', '*', 'run_0123456789ab:events']) {
      const r = await call(b.client, 'agent_status', { run_id: bad, wait_s: 0 });
      assert.equal(r.isError, true);
      assert.match(r.text, /no run/);
    }
  });

  it('stateless replicas behind a round-robin proxy: one client, no session id, every request on the next replica', async () => {
    const token = 'tok-stateless-0123456789';
    const a = await replica({ SUNA_TOKEN: token }, ['--stateless']);
    const b = await replica({ SUNA_TOKEN: token }, ['--stateless']);
    const proxy = await startRoundRobin([a.server.url, b.server.url]);
    const client = new McpClient({ name: 'behind-a-balancer', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(proxy.url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
    try {
      await client.connect(transport);
      assert.equal(transport.sessionId, undefined, 'no Mcp-Session-Id is handed out');
      fake.push(...slowRun(3, 40));
      const started = await call(client, 'agent_run', { task: 'behind a balancer', wait_s: 0 });
      const id = String(started.s.run_id);
      let status = 'running';
      let cursor = 0;
      let answer: unknown;
      for (let i = 0; i < 40 && status === 'running'; i++) {
        const r = await call(client, 'agent_status', { run_id: id, cursor, wait_s: 5 });
        assert.equal(r.isError, false, r.text);
        status = String(r.s.status);
        cursor = Number(r.s.cursor);
        answer = r.s.answer;
      }
      assert.equal(status, 'completed');
      assert.equal(answer, 'All steps done.');
      assert.ok(proxy.served.every((n) => n >= 3), `both replicas served requests: ${proxy.served.join(' / ')}`);
      assert.match((await call(client, 'agent_list')).text, new RegExp(`${id}\\s+completed`));
      const anonymous = await rawHttp(proxy.url, { headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
      assert.equal(anonymous.status, 401, 'stateless does not mean unauthenticated');
      // A stateless server has no stream to GET and no session to DELETE.
      for (const method of ['GET', 'DELETE']) {
        const r = await rawHttp(a.server.url, { method, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } });
        assert.equal(r.status, 405, `${method}: ${r.body}`);
      }
    } finally {
      await client.close().catch(() => {});
      await proxy.close();
    }
  });

  it("a Redis password in --store never reaches a log or a tool result, even when Redis is unreachable", async () => {
    const password = 'redis-pass-0123456789xyz';
    const closed = await startRedis();
    await closed.stop(); // a port nothing listens on any more
    const { server, client } = await replica({ SUNA_STORE: `redis://:${password}@127.0.0.1:${closed.port}`, SUNA_LOG_LEVEL: 'debug' });
    const r = await call(client, 'agent_run', { task: 'x', wait_s: 20 });
    assert.equal(r.s.status, 'failed', r.text);
    assert.match(r.text, new RegExp(`run store \\(Redis at redis://127\\.0\\.0\\.1:${closed.port}, --store\\) is unreachable`));
    assert.doesNotMatch(r.text, new RegExp(password));
    // Listing fails fast and clearly too, instead of hanging.
    const list = await call(client, 'agent_list');
    assert.equal(list.isError, true);
    assert.match(list.text, /unreachable/);
    assert.doesNotMatch(list.text, new RegExp(password));
    assert.match(server.stderr(), /run store \(redis\) error/);
    assert.doesNotMatch(server.stderr(), new RegExp(password));
  });

  describe('one daemon per sandbox, reached from every replica (real Docker)', function () {
    const shared = testSandboxName('replicas-daemon');
    const dockerReplica = () => replica({ DOCKER_HOST: process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock', SUNA_SANDBOX_NAME: shared, SUNA_EPHEMERAL: 'false', SUNA_ON_EXIT: 'keep' });
    const pidsOf = async (Cmd: string[]) => {
      const exec = await new Docker().getContainer(`suna-${shared}`).exec({ Cmd, User: '0:0', AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({});
      const out: Buffer[] = [];
      stream.on('data', (d: Buffer) => out.push(d));
      await new Promise((r) => stream.on('end', r));
      return Buffer.concat(out).toString('latin1').match(/\d+/g) ?? [];
    };
    const daemonPids = () => pidsOf(['pgrep', '-x', 'suna-daemon']);
    const relayPids = () => pidsOf(['pgrep', '-f', '[s]una-egress-relay']);
    after(async () => {
      await removeSandbox(shared);
    });

    it('a background process started through A is read, listed, fed and killed through B; one daemon serves both', async () => {
      const a = await dockerReplica();
      const b = await dockerReplica();
      const started = await call(a.client, 'shell_start', { command: 'read line; echo "got $line"; for i in $(seq 1 600); do echo tick $i; sleep 0.2; done', name: 'ticker' });
      assert.equal(started.isError, false, started.text);
      const pid = String(started.s.process_id);
      assert.match((await call(b.client, 'shell_list')).text, new RegExp(`${pid}\\b[\\s\\S]*ticker`));
      assert.equal((await call(b.client, 'shell_input', { process_id: pid, text: 'hello-from-b\n' })).isError, false);
      const out = await call(b.client, 'shell_output', { process_id: pid, wait_s: 5 });
      assert.match(out.text, /got hello-from-b/);
      assert.equal((await daemonPids()).length, 1, 'one daemon in the sandbox');
      const killed = await call(b.client, 'shell_kill', { process_id: pid, signal: 'SIGKILL' });
      assert.equal(killed.isError, false, killed.text);
      let state = '';
      for (let i = 0; i < 50 && !/exited|killed|SIGKILL/.test(state); i++) state = (await call(a.client, 'shell_output', { process_id: pid, wait_s: 0 })).text;
      assert.match(state, /exited|killed|SIGKILL/, 'A sees the process B killed');
      // Foreground commands still answer each replica on its own stream.
      const [ea, eb] = await Promise.all([call(a.client, 'shell_exec', { command: 'echo from-a' }), call(b.client, 'shell_exec', { command: 'echo from-b' })]);
      assert.match(ea.text, /from-a/);
      assert.doesNotMatch(ea.text, /from-b/);
      assert.match(eb.text, /from-b/);
    });

    it('egress goes through every replica: each starts its relay, and when A goes the sandbox still gets out through B', async () => {
      // Only this test's two replicas serve the sandbox (the earlier tests' ones go, and their relays with them).
      await Promise.all(servers.splice(0).map((s) => s.stop().catch(() => {})));
      for (let i = 0; i < 100 && (await relayPids().catch(() => [])).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
      const a = await dockerReplica();
      const b = await dockerReplica();
      await call(a.client, 'shell_exec', { command: 'true' });
      const second = await call(b.client, 'shell_exec', { command: 'true' });
      assert.doesNotMatch(second.text, /Outbound network access is unavailable/, 'the second relay listens too');
      for (let i = 0; i < 50 && (await relayPids()).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal((await relayPids()).length, 2, 'one relay per replica');
      // A documentation address: the broker refuses it by policy without connecting anywhere. Its answer proves the
      // way out (a relay, the host link and a broker) works; several tries reach both relays.
      const probe = "for i in 1 2 3 4 5 6; do curl -sS -m 10 -w ' %{http_code}\\n' http://192.0.2.1/ 2>&1; done";
      const both = await call(a.client, 'shell_exec', { command: probe });
      assert.equal((both.text.match(/documentation address\)\s+403$/gm) ?? []).length, 6, both.text);
      await a.server.stop();
      for (let i = 0; i < 100 && (await relayPids()).length > 1; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal((await relayPids()).length, 1, "A's relay went with A");
      const after = await call(b.client, 'shell_exec', { command: probe });
      assert.equal((after.text.match(/documentation address\)\s+403$/gm) ?? []).length, 6, after.text);
    });

    it("the sandbox user cannot reach the daemon's socket, its lock or its program", async () => {
      const a = await dockerReplica();
      await call(a.client, 'shell_exec', { command: 'true' });
      // The program the next daemon or bridge runs (sent on the launch's stdin, named by its hash): the agent can
      // neither read it nor put its own in its place, nor leave a file for the launch to pick up.
      const { program, Cmd } = daemonExec(DEFAULT_SANDBOX_CONFIG, assets().daemon, [], []);
      const path = Cmd.find((arg) => arg.startsWith('/run/suna-daemon/daemon-'))!;
      const replace = await call(a.client, 'shell_exec', { command: `cat ${path} | head -c 20; echo 'process.exit(9)' > ${path}; echo x > ${path}.1; echo y > /tmp/x; mv /tmp/x ${path} 2>&1; echo done` });
      assert.equal((replace.text.match(/Permission denied/g) ?? []).length >= 3, true, replace.text);
      assert.doesNotMatch(replace.text, /use strict/);
      const check = await new Docker().getContainer(`suna-${shared}`).exec({ Cmd: ['sha256sum', path], User: '0:0', AttachStdout: true, AttachStderr: true });
      const out: Buffer[] = [];
      const stream = await check.start({});
      stream.on('data', (d: Buffer) => out.push(d));
      await new Promise((r) => stream.on('end', r));
      assert.match(Buffer.concat(out).toString('latin1'), new RegExp(createHash('sha256').update(program!).digest('hex')));
      const probe = [
        'python3 -c "import socket; s=socket.socket(socket.AF_UNIX); s.connect(\'/run/suna-daemon/daemon.sock\')" 2>&1 | tail -1',
        'ls /run/suna-daemon 2>&1',
        'cat /run/suna-daemon/daemon.lock 2>&1',
        'mkdir /run/x 2>&1; touch /run/suna-daemon.lock 2>&1',
        'echo done',
      ].join('; ');
      const r = await call(a.client, 'shell_exec', { command: probe });
      assert.match(r.text, /PermissionError/, r.text);
      assert.doesNotMatch(r.text, /daemon\.sock\s*$/m, 'the directory cannot be listed');
      assert.equal((r.text.match(/Permission denied/g) ?? []).length >= 3, true, r.text);
      assert.match(r.text, /done/);
    });

    it('a killed daemon is started again by whichever replica calls next, and is shared again', async () => {
      const a = await dockerReplica();
      const b = await dockerReplica();
      await call(a.client, 'shell_exec', { command: 'true' });
      await call(b.client, 'shell_exec', { command: 'true' });
      const [before] = await daemonPids();
      const exec = await new Docker().getContainer(`suna-${shared}`).exec({ Cmd: ['pkill', '-9', '-x', 'suna-daemon'], User: '0:0' });
      await exec.start({});
      await new Promise((r) => setTimeout(r, 500));
      let next = await call(b.client, 'shell_exec', { command: 'echo back' });
      if (next.isError) next = await call(b.client, 'shell_exec', { command: 'echo back' }); // the call in flight may fail, clearly
      assert.match(next.text, /back/);
      const pids = await daemonPids();
      assert.equal(pids.length, 1, `one daemon again: ${pids.join(',')}`);
      assert.notEqual(pids[0], before);
      const started = await call(b.client, 'shell_start', { command: 'sleep 300', name: 'after-restart' });
      let listed = await call(a.client, 'shell_list');
      if (listed.isError) listed = await call(a.client, 'shell_list');
      assert.match(listed.text, new RegExp(String(started.s.process_id)), listed.text);
      assert.match(listed.text, /after-restart/);
    });
  });
});
