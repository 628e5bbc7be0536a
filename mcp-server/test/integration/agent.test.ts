// agent_run end to end: a scripted fake model (the real Anthropic SDK talks to it over HTTP) drives the
// server's own tools in the real sandbox, through the start → poll contract.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeModelServer, anthropicBody, type FakeModelServer } from '../../../shared/test/fixtures/fake-model-server.ts';
import { removeSandbox, startServer, testSandboxName, type TestServer } from '../fixtures/server.ts';

describe('agent_run (fake model, real sandbox)', function () {
  this.timeout(180_000);
  let fake: FakeModelServer;
  let s: TestServer;
  let dataDir: string;
  const env = () => ({ ANTHROPIC_API_KEY: 'sk-ant-test-key-123456', ANTHROPIC_BASE_URL: fake.anthropicBaseURL, SUNA_MODEL: 'anthropic:claude-sonnet-5-5', SUNA_DATA_DIR: dataDir });

  before(async () => {
    fake = await startFakeModelServer([]);
    dataDir = mkdtempSync(join(tmpdir(), 'suna-agent-'));
    s = await startServer({ env: env() });
  });
  after(async () => {
    await s?.close();
    await fake?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes a Python file, runs it, reads the output and answers', async () => {
    fake.push(
      { text: 'I will write the script.', toolCalls: [{ name: 'file_write', args: { path: 'calc.py', content: 'print(6 * 7)\n' } }] },
      { toolCalls: [{ name: 'shell_exec', args: { command: 'python3 calc.py' } }] },
      { text: 'The script prints 42.' },
    );
    const r = await s.ok('agent_run', { task: 'Compute 6*7 with Python', wait_s: 40 });
    assert.equal(r.structured?.status, 'completed', r.text);
    assert.equal(r.structured?.answer, 'The script prints 42.');
    assert.match(r.text, /✓ file_write \{"path":"calc.py"/);
    assert.match(r.text, /✓ shell_exec \{"command":"python3 calc.py"\} → exit code 0/);
    // The model saw the real tool output, and got the sandbox tools (not the agent tools) with caching on.
    const third = anthropicBody(fake.modelRequests().at(-1)!);
    assert.match(JSON.stringify(third.messages), /stdout:\\n42/);
    const toolNames = (third.tools ?? []).map((t) => (t as { name: string }).name);
    assert.ok(toolNames.includes('shell_exec') && toolNames.includes('file_edit'));
    assert.ok(!toolNames.some((n) => n.startsWith('agent_')));
    const file = await s.ok('file_read', { path: 'calc.py' });
    assert.match(file.text, /print\(6 \* 7\)/);
  });

  it('returns before the run ends, and agent_status collects the rest', async () => {
    fake.push({ toolCalls: [{ name: 'shell_exec', args: { command: 'sleep 3; echo slept' } }] }, { text: 'Done sleeping.' });
    const started = await s.ok('agent_run', { task: 'Sleep a bit', wait_s: 1 });
    assert.equal(started.structured?.status, 'running');
    assert.match(started.text, /agent_status/);
    const id = String(started.structured?.run_id);
    let status = 'running';
    let cursor = Number(started.structured?.cursor);
    let transcript = started.text;
    for (let i = 0; i < 10 && status === 'running'; i++) {
      const r = await s.ok('agent_status', { run_id: id, cursor, wait_s: 10 });
      status = String(r.structured?.status);
      cursor = Number(r.structured?.cursor);
      transcript += r.text;
    }
    assert.equal(status, 'completed');
    assert.match(transcript, /Done sleeping\./);
    const list = await s.ok('agent_list');
    assert.match(list.text, new RegExp(`${id}\\s+completed`));
  });

  it('sends progress notifications while agent_run waits, when the client asked for them', async () => {
    fake.push({ toolCalls: [{ name: 'shell_exec', args: { command: 'sleep 1; echo one' } }] }, { toolCalls: [{ name: 'shell_exec', args: { command: 'sleep 1; echo two' } }] }, { text: 'Finished.' });
    const progress: { progress: number; message?: string }[] = [];
    const r = await s.client.callTool({ name: 'agent_run', arguments: { task: 'two steps', wait_s: 30 } }, undefined, { onprogress: (p) => progress.push(p) });
    assert.equal((r.structuredContent as { status: string }).status, 'completed');
    assert.ok(progress.length >= 2, `got ${progress.length} progress notifications`);
    assert.ok(progress.every((p, i) => i === 0 || p.progress > progress[i - 1]!.progress), 'progress must increase');
    assert.ok(progress.some((p) => /shell_exec/.test(p.message ?? '')));
  });

  it('agent_cancel stops a run whose tool is a long shell_exec, and the command dies', async () => {
    fake.push({ toolCalls: [{ name: 'shell_exec', args: { command: 'echo $$ > /tmp/agent-long.pid; sleep 300', timeout_s: 600 } }] }, { text: 'never' });
    const started = await s.ok('agent_run', { task: 'Run forever', wait_s: 2 });
    assert.equal(started.structured?.status, 'running');
    const id = String(started.structured?.run_id);
    const t0 = Date.now();
    const c = await s.ok('agent_cancel', { run_id: id });
    assert.match(c.text, /cancelled/);
    assert.ok(Date.now() - t0 < 5000);
    const r = await s.ok('shell_exec', { command: 'sleep 0.5; kill -0 $(cat /tmp/agent-long.pid) 2>/dev/null && echo alive || echo gone' });
    assert.equal(r.structured?.stdout, 'gone\n');
    fake.push({ text: 'unused' }); // keep the script aligned: the 'never' turn is still queued
  });

  it('a run in flight when the server is killed is reported as interrupted after a restart', async () => {
    const name = testSandboxName('agent-restart');
    const fake2 = await startFakeModelServer([{ toolCalls: [{ name: 'shell_exec', args: { command: 'sleep 300', timeout_s: 600 } }] }]);
    const e = { ...env(), ANTHROPIC_BASE_URL: fake2.anthropicBaseURL, SUNA_SANDBOX_NAME: name, SUNA_EPHEMERAL: 'false', SUNA_ON_EXIT: 'remove' };
    try {
      const first = await startServer({ env: e });
      const started = await first.ok('agent_run', { task: 'long', wait_s: 2 });
      const id = String(started.structured?.run_id);
      process.kill(first.transport.pid!, 'SIGKILL');
      await first.close().catch(() => {});
      const second = await startServer({ env: e });
      try {
        const r = await second.ok('agent_status', { run_id: id, wait_s: 0 });
        assert.equal(r.structured?.status, 'interrupted', r.text);
        assert.match(r.text, /server stopped while this run was in flight/);
      } finally {
        await second.close();
      }
    } finally {
      await fake2.close();
      await removeSandbox(name);
    }
  });

  it("without the model's key the run fails fast as a tool error and names the variable to set", async () => {
    // Another provider's key is set, so the agent tools are listed; the anthropic model lacks its own.
    const noKey = await startServer({ env: { ...env(), ANTHROPIC_API_KEY: '', OPENAI_API_KEY: 'sk-openai-test-1234567' } });
    try {
      const r = await noKey.call('agent_run', { task: 'x', wait_s: 10 });
      assert.equal(r.isError, true);
      assert.match(r.text, /ANTHROPIC_API_KEY/);
      assert.doesNotMatch(r.text, /sk-ant-test-key|sk-openai-test/);
    } finally {
      await noKey.close();
    }
  });

  it('without any model key the agent tools are not listed, and sandbox_status says why', async () => {
    const noKeys = await startServer({ env: { ...env(), ANTHROPIC_API_KEY: '', OPENAI_API_KEY: '', OPENAI_COMPATIBLE_API_KEY: '', SUNA_MODEL_BASE_URL: '' } });
    try {
      const names = (await noKeys.client.listTools()).tools.map((t) => t.name);
      assert.ok(!names.some((n) => n.startsWith('agent_')), names.join(', '));
      assert.match((await noKeys.ok('sandbox_status')).text, /hidden tools: agent_run, agent_status, agent_cancel, agent_list \(set ANTHROPIC_API_KEY or OPENAI_API_KEY/);
    } finally {
      await noKeys.close();
    }
  });
});
