// Process and sandbox lifecycle: exit on stdin EOF with the exit policy applied, recovery after the daemon or
// the container dies behind the server's back.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import Docker from 'dockerode';
import { CLI, removeSandbox, serverEnv, startServer, testSandboxName } from '../fixtures/server.ts';

const docker = new Docker();

async function containerState(name: string): Promise<'absent' | 'running' | 'stopped'> {
  const info = await docker.getContainer(`suna-${name}`).inspect().catch(() => null);
  return !info ? 'absent' : info.State.Running ? 'running' : 'stopped';
}

/** Start the CLI with a raw pipe, wait until the sandbox is up, then close stdin and time the exit. */
async function exitAfterStdinClose(env: Record<string, string>): Promise<{ ms: number; code: number | null }> {
  const proc = spawn(process.execPath, [CLI], { env: serverEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
  proc.stdin.write(JSON.stringify(init) + '\n');
  proc.stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
  proc.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'shell_exec', arguments: { command: 'echo up' } } }) + '\n');
  const t = Date.now();
  while (!out.includes('"id":2') && Date.now() - t < 60_000) await new Promise((r) => setTimeout(r, 50));
  assert.ok(out.includes('"id":2'), 'the server never answered');
  // Only MCP frames on stdout.
  for (const line of out.split('\n').filter(Boolean)) assert.equal(JSON.parse(line).jsonrpc, '2.0');
  const t0 = Date.now();
  proc.stdin.end();
  const code = await new Promise<number | null>((r) => proc.once('exit', r));
  return { ms: Date.now() - t0, code };
}

describe('lifecycle', function () {
  this.timeout(180_000);

  it('exits within 2 s when stdin closes and removes an ephemeral sandbox', async () => {
    const name = testSandboxName('exit');
    const { ms, code } = await exitAfterStdinClose({ SUNA_SANDBOX_NAME: name, SUNA_EPHEMERAL: 'true' });
    assert.ok(ms < 2000, `took ${ms} ms`);
    assert.equal(code, 0);
    assert.equal(await containerState(name), 'absent');
  });

  it('with --on-exit stop, the sandbox is stopped and its workspace kept for the next start', async () => {
    const name = testSandboxName('keep');
    try {
      const { ms } = await exitAfterStdinClose({ SUNA_SANDBOX_NAME: name, SUNA_EPHEMERAL: 'false', SUNA_ON_EXIT: 'stop' });
      assert.ok(ms < 2000, `took ${ms} ms`);
      assert.equal(await containerState(name), 'stopped');
      const s = await startServer({ env: { SUNA_SANDBOX_NAME: name, SUNA_EPHEMERAL: 'false', SUNA_ON_EXIT: 'remove' } });
      await s.ok('file_write', { path: 'persist.txt', content: 'x' });
      await s.close();
    } finally {
      await removeSandbox(name);
    }
  });

  it('a killed daemon fails the call in flight clearly, and the next call works', async () => {
    const s = await startServer();
    try {
      await s.ok('file_write', { path: 'kept.txt', content: 'still here' });
      const inFlight = s.call('shell_exec', { command: 'sleep 30' });
      await new Promise((r) => setTimeout(r, 500));
      // As root: the sandbox user (uid 1000) cannot signal the daemon (attacks-daemon.test.ts).
      const exec = await docker.getContainer(`suna-${s.sandboxName}`).exec({ Cmd: ['pkill', '-9', '-x', 'suna-daemon'], User: '0:0' });
      await exec.start({});
      const r = await inFlight;
      assert.equal(r.isError, true);
      assert.match(r.text, /daemon was killed.*retry/);
      const next = await s.ok('shell_exec', { command: 'cat kept.txt' });
      assert.equal(next.structured?.stdout, 'still here');
      assert.match(next.text, /daemon had stopped and was restarted/);
    } finally {
      await s.close();
    }
  });

  it('a container removed behind the server is recreated on the next call, which says the workspace volume was kept', async () => {
    const s = await startServer();
    try {
      await s.ok('file_write', { path: 'kept.txt', content: 'survives' });
      await docker.getContainer(`suna-${s.sandboxName}`).remove({ force: true });
      const r = await s.call('shell_exec', { command: 'cat kept.txt' });
      if (r.isError) assert.match(r.text, /container was removed.*retry/);
      const next = r.isError ? await s.ok('shell_exec', { command: 'cat kept.txt' }) : r;
      assert.equal(next.structured?.stdout, 'survives');
      assert.match(next.text, /recreated; \/workspace \(a volume\) was kept/);
    } finally {
      await s.close();
    }
  });

  it("a killed throwaway server's sandbox is replaced by the next server of the same name, never adopted (the reaper would pull it away)", async () => {
    const name = testSandboxName('orphan');
    const first = spawn(process.execPath, [CLI], { env: serverEnv({ SUNA_SANDBOX_NAME: name, SUNA_EPHEMERAL: 'true' }), stdio: ['pipe', 'pipe', 'ignore'] });
    let out = '';
    first.stdout.on('data', (d) => (out += d));
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } };
    const write = { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'file_write', arguments: { path: 'left.txt', content: 'old' } } };
    first.stdin.write([init, { jsonrpc: '2.0', method: 'notifications/initialized' }, write].map((m) => JSON.stringify(m) + '\n').join(''));
    const t = Date.now();
    while (!out.includes('"id":2') && Date.now() - t < 60_000) await new Promise((r) => setTimeout(r, 50));
    first.kill('SIGKILL'); // no exit policy runs: the container stays, labelled with a dead owner
    await new Promise((r) => first.once('exit', r));
    assert.equal(await containerState(name), 'running');
    const s = await startServer({ env: { SUNA_SANDBOX_NAME: name, SUNA_EPHEMERAL: 'true' } });
    try {
      // Both the warm-up and this call race the reaper; the call must land in a sandbox of the new server.
      const r = await s.ok('shell_exec', { command: 'cat left.txt 2>/dev/null || echo fresh' });
      assert.equal(r.structured?.stdout, 'fresh\n');
      const owner = (await docker.getContainer(`suna-${name}`).inspect()).Config.Labels['dev.suna-mcp.owner'];
      assert.notEqual(owner?.split(':')[1], String(first.pid));
    } finally {
      await s.close();
      await docker.getContainer(`suna-${name}`).remove({ force: true }).catch(() => {});
    }
  });
});
