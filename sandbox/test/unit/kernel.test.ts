// The daemon's side of the code interpreter against a replaced, hostile driver (real child processes speaking
// whatever they like on the pipe): garbage and forged ids are dropped, an over-long line or a silent driver gets it
// killed and the run answered as "driver lost", a malformed answer is refused, and the next run starts a new driver.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CodeKernel, DRIVER_LIMITS, liveInProc } from '../../daemon/kernel.ts';
import { groupAlive } from '../../daemon/groups.ts';

/** A driver stand-in: a Node script reading requests on stdin; `reply(req)` is its body (JS source). */
const started: CodeKernel[] = [];

function kernelWith(reply: string) {
  const pids: number[] = [];
  const script = `
    const rl = require('node:readline').createInterface({ input: process.stdin });
    const out = (s) => process.stdout.write(s);
    rl.on('line', (line) => { const req = JSON.parse(line); ${reply} });`;
  const commands = {
    spawn: async () => {
      const child = spawn(process.execPath, ['-e', script], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      pids.push(child.pid!);
      return child;
    },
  };
  const kernel = new CodeKernel(commands as never, '/tmp', []);
  started.push(kernel);
  return { kernel, pids };
}

const run = (k: CodeKernel, code = '1') => k.run({ runId: 'r1', code, timeoutMs: 200, capChars: 1000, figureDir: '/workspace/.suna/figures' });
const good = (id: string) => `JSON.stringify({ id: ${id}, ok: true, result: { status: 'ok', restart: null, executionCount: 1, result: 'real' } })`;

describe('code interpreter: the daemon against a hostile driver', function () {
  this.timeout(20_000);
  const saved = { ...DRIVER_LIMITS };
  before(() => Object.assign(DRIVER_LIMITS, { lineBytes: 64 * 1024, graceMs: 1500 }));
  after(() => Object.assign(DRIVER_LIMITS, saved));
  afterEach(() => started.splice(0).forEach((k) => k.killAll()));

  it('drops garbage, non-objects and answers to ids it never asked, and takes the real answer', async () => {
    const { kernel, pids } = kernelWith(`
      out('not json\\n[1,2]\\n{"id":"x"}\\n' + JSON.stringify({ id: req.id + 1000, ok: true, result: { forged: true } }) + '\\n\\xff\\n');
      out(${good('req.id')} + '\\n');`);
    const r = await run(kernel);
    assert.equal(r.result, 'real');
    assert.equal((r as unknown as Record<string, unknown>).forged, undefined);
    assert.equal(typeof r.oomKilled, 'boolean');
    kernel.killAll();
    assert.equal(pids.length, 1);
  });

  it('kills a driver whose line passes the bound and answers the run as "driver lost"; the next run gets a new driver', async () => {
    const { kernel, pids } = kernelWith(`if (req.code === 'flood') out('x'.repeat(200 * 1024)); else out(${good('req.id')} + '\\n');`);
    await run(kernel, 'warm');
    const lost = await run(kernel, 'flood');
    assert.equal(lost.status, 'died');
    assert.equal(lost.restart, 'driver');
    assert.deepEqual(lost.displays, []);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(groupAlive(pids[0]!), false, 'the flooding driver was killed');
    const next = await run(kernel, 'again');
    assert.equal(next.result, 'real');
    assert.equal(next.restart, null, 'the loss was reported once, by the run that lost it');
    assert.equal(pids.length, 2);
    kernel.killAll();
  });

  it('kills a driver that never answers once the deadline passes', async () => {
    const { kernel, pids } = kernelWith('/* silence */');
    const t0 = Date.now();
    const r = await run(kernel);
    assert.equal(r.status, 'died');
    assert.ok(Date.now() - t0 < 10_000);
    // SIGKILL is sent at once; the group's exit is the kernel's to report, so wait for it (bounded) rather than a fixed 100 ms.
    for (let i = 0; i < 100 && groupAlive(pids[0]!); i++) await new Promise((res) => setTimeout(res, 50));
    assert.equal(groupAlive(pids[0]!), false);
  });

  it('refuses an answer whose result is not an object, and a driver that exits mid-run is reported lost', async () => {
    const { kernel } = kernelWith(`if (req.code === 'exit') process.exit(3); out(JSON.stringify({ id: req.id, ok: true, result: [1, 2] }) + '\\n');`);
    await assert.rejects(run(kernel), (e: Error & { code?: string }) => e.code === 'KERNEL_FAILED' && /malformed answer/.test(e.message));
    const lost = await run(kernel, 'exit');
    assert.equal(lost.status, 'died');
    kernel.killAll();
  });

  it('a driver is live only while /proc shows it running: not a zombie, not exiting, no SIGKILL pending', () => {
    const stat = readFileSync('/proc/self/stat', 'latin1');
    const status = readFileSync('/proc/self/status', 'latin1');
    assert.equal(liveInProc(stat, status), true);
    const withState = (state: string, flags = '4194304') => `4242 (py) thon) ${state} 1 1 1 0 -1 ${flags} 0 0`;
    assert.equal(liveInProc(withState('S'), 'SigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n'), true);
    assert.equal(liveInProc(withState('Z'), ''), false, 'a zombie');
    assert.equal(liveInProc(withState('R', String(4194304 | 0x4)), ''), false, 'PF_EXITING');
    assert.equal(liveInProc(withState('R'), 'SigPnd:\t0000000000000100\nShdPnd:\t0000000000000000\n'), false, 'SIGKILL pending on the thread');
    assert.equal(liveInProc(withState('D'), 'SigPnd:\t0000000000000000\nShdPnd:\t0000000000004100\n'), false, 'SIGKILL pending on the process');
    assert.equal(liveInProc(withState('S'), 'SigPnd:\t0000000000000200\nShdPnd:\t0000000000004000\n'), true, 'other signals pending');
  });
});
