// The Docker Engine restarts while the server runs: calls fail clearly during the outage and work afterwards
// with no manual step, the workspace intact. This stops every container on the machine, so the file is named
// to sort last (mocha runs files in name order) and always leaves dockerd running, even when a check fails.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { startServer, type TestServer } from '../fixtures/server.ts';
import { alive, sleep, waitFor } from './helpers.ts';

const dockerUp = () => {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
};
const dockerdPid = (): number | null => {
  try {
    return Number(execFileSync('pgrep', ['-x', 'dockerd']).toString().trim().split('\n')[0]) || null;
  } catch {
    return null;
  }
};

/** Start dockerd the way .ci/run does, unless one is already running (or starting). */
async function ensureDockerd(): Promise<void> {
  if (!dockerdPid()) spawn('bash', ['-c', '(dockerd >/var/log/dockerd.log 2>&1 &)'], { detached: true, stdio: 'ignore' }).unref();
  await waitFor('docker info', dockerUp, 90_000, 500);
}

describe('reliability: dockerd restart (run last: disrupts every container on the machine)', function () {
  this.timeout(300_000);
  let s: TestServer | undefined;

  before(function () {
    if (!dockerdPid()) this.skip(); // Docker Desktop, a remote DOCKER_HOST or systemd: not ours to restart
  });
  after(async () => {
    await ensureDockerd();
    await s?.close().catch(() => {});
  });

  it('calls fail clearly while dockerd is down and work again once it is back, with the workspace intact', async () => {
    s = await startServer();
    await s.ok('file_write', { path: 'kept.txt', content: 'survives dockerd' });
    const inFlight = s.call('shell_exec', { command: 'sleep 120', timeout_s: 300 });
    await sleep(500);

    const pid = dockerdPid()!;
    const t0 = Date.now();
    process.kill(pid, 'SIGTERM');
    await waitFor('dockerd to exit', () => !alive(pid), 120_000, 100);
    const downMs = Date.now() - t0;

    const r = await inFlight;
    assert.equal(r.isError, true, r.text);
    assert.match(r.text, /(Docker Engine stopped answering|container stopped|container was removed|daemon was killed).*retry/);

    // During the outage: a prompt, clear error that says what to do (unless something else already restarted dockerd;
    // never so on CI, where this machine runs nothing else).
    const outage = !dockerdPid();
    if (process.env.CI) assert.ok(outage, 'dockerd came back before the outage could be observed');
    if (outage) {
      for (const tool of ['shell_exec', 'file_read', 'sandbox_status'] as const) {
        const t = Date.now();
        const d = await s.call(tool, tool === 'shell_exec' ? { command: 'true' } : tool === 'file_read' ? { path: 'kept.txt' } : {});
        assert.ok(Date.now() - t < 10_000, `${tool} took ${Date.now() - t} ms during the outage`);
        assert.equal(d.isError, true, `${tool}: ${d.text}`);
        assert.match(d.text, /Docker is not reachable .*Start Docker/, `${tool}: ${d.text}`);
      }
    }

    const t1 = Date.now();
    await ensureDockerd();
    const upMs = Date.now() - t1;

    // No manual step: the next call brings the sandbox back (dockerd stopped it on shutdown; live-restore is off).
    const next = await s.call('shell_exec', { command: 'cat kept.txt' });
    assert.equal(next.isError, false, next.text);
    assert.equal(next.structured?.stdout, 'survives dockerd');
    assert.match(next.text, /had stopped and was started again|was gone and has been recreated; \/workspace \(a volume\) was kept/);
    const status = await s.ok('sandbox_status');
    assert.equal(status.structured?.state, 'running');
    assert.equal(status.structured?.daemon, 'connected');
    console.log(`      dockerd stopped in ${downMs} ms, back in ${upMs} ms; outage calls ${outage ? 'checked' : 'not observed'}; in flight: ${r.text.split('\n')[0]}`);
  });
});
