// Faults against the real Docker Engine: the container killed behind the server, stdin closing with work in
// flight (no orphans), and 500 create/reset cycles that must leave no containers, volumes or host processes.
// (The killed daemon, the removed container and the killed server are covered in integration/lifecycle.test.ts
// and integration/agent.test.ts; the dockerd restart is in zz-dockerd-restart.test.ts, run last.)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, testSandboxName } from '../fixtures/server.ts';
import { alive, descendants, docker, managedObjects, memoryKb, openFds, removeSandbox, sleep, spawnRawStdio, waitFor } from './helpers.ts';

/** containerd shims whose container no longer exists: leaked host processes. */
async function orphanShims(): Promise<string[]> {
  const ids = new Set((await docker.listContainers({ all: true })).map((c) => c.Id));
  const shims = execFileSync('ps', ['-eo', 'args']).toString().split('\n').filter((l) => l.includes('containerd-shim'));
  return shims.map((l) => /-id ([0-9a-f]{64})/.exec(l)?.[1]).filter((id): id is string => !!id && !ids.has(id));
}

/** Processes in the container (docker top), without the init and the `sleep infinity` that keep it up. */
async function containerProcesses(name: string): Promise<string[]> {
  const top = await docker.getContainer(`suna-${name}`).top({ ps_args: '-eo pid,args' });
  const cmd = top.Titles.indexOf('COMMAND') >= 0 ? top.Titles.indexOf('COMMAND') : top.Titles.length - 1;
  return (top.Processes as string[][]).map((p) => p[cmd]!).filter((c) => !/^(\/sbin\/docker-init|\/dev\/init)|^sleep infinity$/.test(c));
}

describe('reliability: faults', function () {
  this.timeout(300_000);

  it('a container killed with `docker kill` fails the call in flight clearly; the next call restarts it and says the workspace was kept', async () => {
    const s = await startServer();
    try {
      await s.ok('file_write', { path: 'kept.txt', content: 'survives a kill' });
      await s.ok('shell_start', { command: 'sleep 600', name: 'doomed' });
      const inFlight = s.call('shell_exec', { command: 'sleep 30' });
      await sleep(500);
      await docker.getContainer(`suna-${s.sandboxName}`).kill({ signal: 'SIGKILL' });
      const r = await inFlight;
      assert.equal(r.isError, true, r.text);
      assert.match(r.text, /(container stopped|daemon was killed).*retry/);
      const next = await s.ok('shell_exec', { command: 'cat kept.txt' });
      assert.equal(next.structured?.stdout, 'survives a kill');
      assert.match(next.text, /container had stopped and was started again; background processes and \/tmp were lost/);
      const list = await s.ok('shell_list');
      assert.doesNotMatch(list.text, /doomed/, 'a background process from before the kill is listed as if alive');
      const status = await s.ok('sandbox_status');
      assert.equal((status.structured?.restarts as { container: number }).container, 1);
      assert.equal(status.structured?.state, 'running');
    } finally {
      await s.close();
    }
  });

  it('stdin closing with a command and a background process running: exit within 2 s, no orphaned process on the host or in a kept container', async () => {
    const name = testSandboxName('orphans');
    const raw = spawnRawStdio({ SUNA_SANDBOX_NAME: name, SUNA_EPHEMERAL: 'false', SUNA_ON_EXIT: 'keep' });
    try {
      await raw.initialize();
      const call = (id: number, tool: string, args: Record<string, unknown>) =>
        raw.send(JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: tool, arguments: args } }));
      call(1, 'shell_start', { command: 'sleep 600', name: 'bg' });
      assert.ok(!(await raw.response(1)).result.isError);
      call(2, 'shell_exec', { command: 'sleep 300', timeout_s: 600 }); // still running when stdin closes
      await waitFor('the sandbox command to start', async () => (await containerProcesses(name)).some((p) => p === 'sleep 300'));
      const pid = raw.proc.pid!;
      const before = descendants(pid);
      const t0 = Date.now();
      const code = await raw.exit();
      const ms = Date.now() - t0;
      assert.ok(ms < 2000, `took ${ms} ms to exit`);
      assert.equal(code, 0);
      // Nothing the server started on the host outlives it (children would have been re-parented, not killed).
      assert.deepEqual(before.filter(alive), [], `host processes left behind: ${before.filter(alive).join(', ')}`);
      assert.equal(execFileSync('sh', ['-c', `ps --ppid ${pid} -o pid= || true`]).toString().trim(), '');
      // --on-exit keep: the container stays up, but the daemon and everything it ran are gone.
      assert.equal((await docker.getContainer(`suna-${name}`).inspect()).State.Running, true);
      await waitFor('the daemon and its processes to exit', async () => (await containerProcesses(name)).length === 0, 5000, 100).catch(async (e) => {
        throw new Error(`${(e as Error).message}: ${(await containerProcesses(name)).join(' | ')}`);
      });
      for (const line of raw.lines.filter(Boolean)) assert.equal(JSON.parse(line).jsonrpc, '2.0');
    } finally {
      if (raw.proc.exitCode === null) raw.proc.kill('SIGKILL');
      await removeSandbox(name);
    }
  });

  it('500 sandbox_reset cycles leave no orphaned containers, volumes or host processes, with bounded server memory and fds', async function () {
    const cycles = Number(process.env.SUNA_RELIABILITY_CYCLES ?? 500);
    this.timeout(Math.max(300_000, cycles * 1500));
    const s = await startServer();
    const name = s.sandboxName;
    const ours = (list: string[]) => list.filter((n) => n === `suna-${name}` || n.startsWith(`suna-${name}-`));
    const pid = s.transport.pid!;
    try {
      await s.ok('shell_exec', { command: 'true' });
      const fds0 = openFds(pid);
      const shims0 = await orphanShims();
      const t0 = Date.now();
      for (let i = 1; i <= cycles; i++) {
        if (i % 50 === 0) await s.ok('file_write', { path: 'marker.txt', content: String(i) });
        const r = await s.call('sandbox_reset', {}, { timeout: 60_000 });
        assert.equal(r.isError, false, `cycle ${i}: ${r.text}`);
        if (i % 50 === 0) {
          const check = await s.ok('shell_exec', { command: 'ls -A /workspace | wc -l; ls /proc | grep -c "^[0-9]"' });
          const [files, procs] = String(check.structured?.stdout).trim().split('\n').map(Number);
          assert.equal(files, 0, `cycle ${i}: the reset workspace is not empty`);
          assert.ok(procs! < 10, `cycle ${i}: ${procs} processes in a fresh sandbox`);
          const objects = await managedObjects();
          assert.equal(ours(objects.containers).length, 1, `cycle ${i}: containers ${ours(objects.containers)}`);
          assert.equal(ours(objects.volumes).length, 2, `cycle ${i}: volumes ${ours(objects.volumes)}`);
          assert.deepEqual(descendants(pid), [], `cycle ${i}: the server has child processes`);
        }
      }
      const perCycle = (Date.now() - t0) / cycles;
      const fds1 = openFds(pid);
      const mem = memoryKb(pid);
      assert.ok(fds1 - fds0 < 20, `server fds grew from ${fds0} to ${fds1}`);
      assert.ok(mem.rss < 400 * 1024, `server RSS ${mem.rss} kB after ${cycles} cycles`);
      const leakedShims = (await orphanShims()).filter((id) => !shims0.includes(id));
      assert.deepEqual(leakedShims, [], 'containerd shims without a container');
      console.log(`      ${cycles} cycles, ${perCycle.toFixed(0)} ms each; server fds ${fds0} → ${fds1}, RSS ${Math.round(mem.rss / 1024)} MiB (peak ${Math.round(mem.hwm / 1024)} MiB)`);
    } finally {
      await s.close();
    }
    // The ephemeral sandbox is removed on exit, volumes included.
    await waitFor('the sandbox to be removed', async () => {
      const objects = await managedObjects();
      return ours(objects.containers).length === 0 && ours(objects.volumes).length === 0;
    }, 10_000, 200);
  });
});
