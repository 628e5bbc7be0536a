// Hostile input and resource abuse against the real sandbox: traversal, symlinks, bombs, floods, posture.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { HOST_SOCKET_MOUNT, hostSocketDir } from '@suna/sandbox';
import { startServer, type TestServer } from '../fixtures/server.ts';

const docker = new Docker();

describe('security: path policy through every file tool', function () {
  this.timeout(180_000);
  let s: TestServer;
  before(async () => {
    s = await startServer();
    // Links that lead out of the workspace, made the way an agent could make them.
    await s.ok('shell_exec', { command: 'echo secret > /tmp/outside.txt && ln -s /tmp/outside.txt link-file && ln -s /tmp link-dir && ln -s /etc etc-link && echo inside > ok.txt' });
  });
  after(async () => s?.close());

  const escapes = [
    '../etc/passwd',
    '../../../../etc/passwd',
    'a/../../etc/passwd',
    '/etc/passwd',
    '/tmp/outside.txt',
    '%2e%2e%2fetc%2fpasswd',
    '%252e%252e%252fetc%252fpasswd',
    'ok.txt\u0000.png',
    '..\\..\\etc\\passwd',
    'C:\\Windows\\win.ini',
    '\\\\server\\share\\x',
    '~/.bashrc',
    '/workspace_evil/x',
    '/workspace2/x',
    'link-file',
    'link-dir/outside.txt',
    'etc-link/passwd',
  ];

  for (const p of escapes) {
    it(`file_read refuses ${JSON.stringify(p)}`, async () => {
      const r = await s.call('file_read', { path: p });
      assert.equal(r.isError, true, r.text);
      assert.doesNotMatch(r.text, /secret|root:x:0/);
    });
  }

  it('file_write, file_edit, file_move, file_delete, file_list and file_search refuse escapes and write nothing outside', async () => {
    const writes = ['../x', '/tmp/x', 'link-dir/x', 'etc-link/x', '/workspace_evil/x', '%2e%2e%2fx'];
    for (const p of writes) {
      assert.equal((await s.call('file_write', { path: p, content: 'pwned' })).isError, true, `file_write ${p}`);
      assert.equal((await s.call('file_edit', { path: p, edits: [{ old_text: 'a', new_text: 'b' }] })).isError, true, `file_edit ${p}`);
      assert.equal((await s.call('file_move', { from: 'ok.txt', to: p })).isError, true, `file_move to ${p}`);
      assert.equal((await s.call('file_delete', { path: p })).isError, true, `file_delete ${p}`);
    }
    assert.equal((await s.call('file_move', { from: 'link-dir/outside.txt', to: 'stolen.txt' })).isError, true);
    assert.equal((await s.call('file_list', { path: 'link-dir' })).isError, true);
    assert.equal((await s.call('file_list', { path: '../' })).isError, true);
    assert.equal((await s.call('file_search', { pattern: 'secret', path: 'link-dir' })).isError, true);
    const check = await s.ok('shell_exec', { command: 'ls /tmp; cat /tmp/outside.txt; ls /workspace; test -e /tmp/x && echo BAD || true' });
    assert.doesNotMatch(String(check.structured?.stdout), /BAD|pwned/);
    assert.match(String(check.structured?.stdout), /secret/);
    assert.match(String(check.structured?.stdout), /ok\.txt/); // the source of the refused moves is still there
  });

  it('writing through a symlink path replaces the link, never the target', async () => {
    await s.ok('shell_exec', { command: 'echo keep > target.txt && ln -sf target.txt inner-link' });
    await s.ok('file_write', { path: 'inner-link', content: 'new' });
    const r = await s.ok('shell_exec', { command: 'cat target.txt; test -L inner-link && echo link || echo file' });
    assert.equal(r.structured?.stdout, 'keep\nfile\n');
  });

  it('file_delete on a symlink to a directory outside removes only the link', async () => {
    await s.ok('shell_exec', { command: 'ln -s /tmp del-link' });
    assert.equal((await s.call('file_delete', { path: 'del-link/outside.txt' })).isError, true);
    await s.ok('file_delete', { path: 'del-link', recursive: true });
    const r = await s.ok('shell_exec', { command: 'cat /tmp/outside.txt' });
    assert.equal(r.structured?.stdout, 'secret\n');
  });
});

describe('security: container posture and resource limits', function () {
  this.timeout(240_000);
  let s: TestServer;
  before(async () => {
    s = await startServer({ env: { SUNA_MEMORY: '256', SUNA_PIDS: '128' } });
    await s.ok('shell_exec', { command: 'true' });
  });
  after(async () => s?.close());

  it('the container is created hardened (docker inspect)', async () => {
    const info = await docker.getContainer(`suna-${s.sandboxName}`).inspect();
    const hc = info.HostConfig;
    assert.deepEqual(hc.CapDrop, ['ALL']);
    // Only what the daemon needs to start commands as uid 1000 with an empty bounding set (containerSpec).
    assert.deepEqual([...(hc.CapAdd ?? [])].sort(), ['SETGID', 'SETPCAP', 'SETUID']);
    assert.ok(hc.SecurityOpt?.includes('no-new-privileges'));
    assert.equal(hc.Privileged, false);
    assert.equal(hc.ReadonlyRootfs, true);
    assert.equal(hc.Init, true);
    assert.equal(hc.PidsLimit, 128);
    assert.equal(hc.Memory, 256 * 1024 * 1024);
    assert.equal(hc.MemorySwap, 256 * 1024 * 1024);
    assert.ok(!hc.Binds || hc.Binds.length === 0, 'no host paths are bound');
    // Volumes and tmpfs only, but for the host-socket directory where the engine is local: the server's own
    // per-sandbox directory, read-only, at its fixed place (sandbox/src/host-socket.ts).
    const binds = info.Mounts.filter((m) => m.Type !== 'volume' && m.Type !== 'tmpfs');
    assert.ok(binds.every((m) => m.Type === 'bind' && m.Destination === HOST_SOCKET_MOUNT && m.RW === false && m.Source === hostSocketDir(info.Name.replace(/^\//, ''))), JSON.stringify(info.Mounts));
    assert.ok(binds.length <= 1);
    assert.ok(!JSON.stringify(info.Mounts).includes('docker.sock'));
    // Root inside, so that commands (uid 1000) cannot signal the main process or the daemon.
    assert.equal(info.Config.User, '0:0');
    assert.notEqual(hc.NetworkMode, 'host');
    assert.notEqual(hc.PidMode, 'host');
    assert.notEqual(hc.IpcMode, 'host');
  });

  it('inside, the process has no capabilities, no-new-privs, seccomp, a non-root uid and a read-only root', async () => {
    const r = await s.ok('shell_exec', { command: 'grep -E "^(CapEff|CapBnd|NoNewPrivs|Seccomp):" /proc/self/status; id -u; touch /usr/x 2>&1; ls -la /var/run/docker.sock 2>&1; true' });
    const out = String(r.structured?.stdout);
    assert.match(out, /CapEff:\s+0000000000000000/);
    assert.match(out, /CapBnd:\s+0000000000000000/);
    assert.match(out, /NoNewPrivs:\s+1/);
    assert.match(out, /Seccomp:\s+2/);
    assert.match(out, /^1000$/m);
    assert.match(out, /Read-only file system/);
    assert.match(out, /No such file/);
  });

  it('a fork bomb hits the pids limit and the server stays healthy', async () => {
    const events = async () => Number(/max (\d+)/.exec(String((await s.ok('shell_exec', { command: 'cat /sys/fs/cgroup/pids/pids.events /sys/fs/cgroup/pids.events 2>/dev/null' })).structured?.stdout))?.[1] ?? 0);
    const before = await events();
    // A foreground pipeline bomb: every copy stays in the command's process group until the timeout.
    const r = await s.call('shell_exec', { command: 'bomb(){ bomb | bomb; }; bomb', timeout_s: 5 });
    assert.equal(r.isError, false, r.text);
    assert.equal(r.structured?.timed_out, true, r.text);
    assert.ok((await events()) > before, 'the pids limit was never reached');
    let healthy = false;
    for (let i = 0; i < 20 && !healthy; i++) {
      const ok = await s.call('shell_exec', { command: 'echo alive', timeout_s: 10 });
      healthy = ok.structured?.stdout === 'alive\n';
      if (!healthy) await new Promise((res) => setTimeout(res, 500));
    }
    assert.ok(healthy, 'the sandbox did not recover after the fork bomb');
    const { tools } = await s.client.listTools();
    assert.ok(tools.length > 5);
  });

  it('a memory bomb is reported as an OOM kill', async () => {
    const r = await s.call('shell_exec', { command: 'python3 -c "x = b\'x\' * (600 * 1024 * 1024); print(len(x))"', timeout_s: 60 });
    assert.equal(r.structured?.oom_killed, true, r.text);
    assert.match(r.text, /out of memory \(the sandbox limit is 256 MiB\)/);
    const after = await s.ok('shell_exec', { command: 'echo still-here' });
    assert.equal(after.structured?.stdout, 'still-here\n');
  });

  it('an output flood returns a capped result quickly with bounded server memory', async () => {
    const t0 = Date.now();
    const r = await s.ok('shell_exec', { command: 'yes | head -c 200M', timeout_s: 120 });
    const ms = Date.now() - t0;
    const size = JSON.stringify(r.result).length;
    assert.ok(size < 100_000, `result is ${size} bytes`);
    assert.match(r.text, /bytes omitted; the full output is in \.suna\/output\/exec-/);
    assert.equal(r.structured?.truncated, true);
    assert.match(String(r.structured?.full_output_path), /^\.suna\/output\/exec-.*\.log$/);
    const saved = await s.ok('shell_exec', { command: `stat -c %s ${r.structured?.full_output_path}` });
    assert.ok(Number(saved.structured?.stdout) <= 64 * 1024 * 1024 + 100, 'the saved output is capped too');
    const pid = s.transport.pid!;
    const rssKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    assert.ok(rssKb < 300 * 1024, `server peak RSS ${rssKb} kB`);
    assert.ok(ms < 30_000, `took ${ms} ms`);
  });
});
