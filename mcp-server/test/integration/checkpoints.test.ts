// Checkpoints end to end through the real MCP client, server, sandbox and store sidecars: a checkpoint, destructive
// commands, a restore that gives back byte-identical trees (content, modes, owners, symlinks, empty directories),
// the undo of a restore, a diff that names exactly the changed paths, retention, and agent_run's own checkpoint.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeModelServer, type FakeModelServer } from '../../../shared/test/fixtures/fake-model-server.ts';
import { startServer, type TestServer } from '../fixtures/server.ts';

/** Every entry of both trees (but ~/.cache): type, mode, owner, size, mtime, link target, content hash; sorted. */
const FINGERPRINT = `python3 - <<'EOF'
import hashlib, os, stat
out = []
for root in ('/workspace', '/home/user'):
    for dp, dns, fns in os.walk(root):
        if dp == '/home/user':
            dns[:] = [d for d in dns if d != '.cache']
        for n in dns + fns:
            p = os.path.join(dp, n)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                extra = 'l ' + os.readlink(p)
            elif stat.S_ISDIR(st.st_mode):
                extra = 'd'
            else:
                extra = 'f %d %d %s' % (st.st_size, st.st_mtime_ns, hashlib.sha256(open(p, 'rb').read()).hexdigest()[:16])
            out.append('%s|%o|%d:%d|%s' % (p, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, extra))
print('\\n'.join(sorted(out)))
EOF`;

describe('checkpoints (real sandbox, store sidecars)', function () {
  this.timeout(600_000);
  let s: TestServer;
  let fake: FakeModelServer;
  let dataDir: string;

  const sh = async (command: string) => String((await s.ok('shell_exec', { command, timeout_s: 120 })).structured?.stdout ?? '');
  const checkpoint = async (label?: string) => String((await s.ok('sandbox_checkpoint', label ? { label } : {})).structured?.id);

  before(async () => {
    fake = await startFakeModelServer([]);
    dataDir = mkdtempSync(join(tmpdir(), 'suna-ckpt-'));
    s = await startServer({
      env: { ANTHROPIC_API_KEY: 'sk-ant-test-key-123456', ANTHROPIC_BASE_URL: fake.anthropicBaseURL, SUNA_MODEL: 'anthropic:claude-sonnet-5-5', SUNA_DATA_DIR: dataDir },
      args: ['--checkpoint-retention', '6,1GiB'],
    });
  });
  after(async () => {
    await s?.close();
    await fake?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  let earlierRun = '';
  let original = '';
  let first = '';
  let destroyed = '';

  it('a restore after destructive commands gives back byte-identical trees, stops processes and says so', async () => {
    await sh(
      [
        'mkdir -p proj/src proj/empty/nested proj/private && cd proj',
        "printf 'line 1\\nline 2\\n' > src/a.txt && head -c 100000 /dev/urandom > src/blob.bin",
        'echo secret > private/key && chmod 600 private/key && chmod 2700 private',
        'printf "#!/bin/sh\\necho hi\\n" > run.sh && chmod 755 run.sh',
        'ln -s src/a.txt link-rel && ln -s /nowhere/at/all link-dangling && ln -s ../proj link-dir',
        'echo "with spaces" > "name with spaces.txt" && echo unicode > "ünïcødé.txt"',
        'echo "export FOO=1" >> ~/.bashrc && mkdir -p ~/notes/empty && echo n > ~/notes/n.txt',
      ].join(' && '),
    );
    original = await sh(FINGERPRINT);
    assert.match(original, /\/workspace\/proj\/empty\/nested\|755\|1000:1000\|d/);
    assert.match(original, /\/workspace\/proj\/private\|2700\|/);
    assert.match(original, /\/workspace\/proj\/link-dangling\|777\|1000:1000\|l \/nowhere\/at\/all/);
    first = await checkpoint('before the damage');
    assert.match(first, /^ck-/);

    await s.ok('shell_start', { command: 'sleep 1000', name: 'sleeper' });
    await sh(
      [
        'cd proj && rm -rf src empty && chmod 644 private/key && rm link-rel && echo file > link-rel',
        'echo new > added.txt && mkdir newdir && rm -f ~/.bashrc && rm -rf ~/notes && echo x > ~/new-home-file',
      ].join(' && '),
    );
    destroyed = await sh(FINGERPRINT);
    assert.notEqual(destroyed, original);

    const r = await s.ok('sandbox_restore', { id: first });
    assert.match(r.text, /Every process the agent had started was stopped/);
    assert.equal(r.structured?.processes_stopped, true);
    assert.equal(await sh(FINGERPRINT), original);
    assert.equal((await sh("pgrep -f 'sleep 100[0]' || echo none")).trim(), 'none');
    assert.equal(await sh('cat proj/private/key'), 'secret\n');
  });

  it('a restore can be undone: restoring the checkpoint it took brings back the state before it', async () => {
    const list = await s.ok('sandbox_checkpoints');
    const before = (list.structured?.checkpoints as Array<{ id: string; label: string }>).find((c) => c.label === `before restoring ${first}`);
    assert.ok(before, list.text);
    await s.ok('sandbox_restore', { id: before.id });
    assert.equal(await sh(FINGERPRINT), destroyed);
    await s.ok('sandbox_restore', { id: first });
    assert.equal(await sh(FINGERPRINT), original);
  });

  it('sandbox_diff lists exactly the changed paths, between checkpoints and against now, with a unified diff', async () => {
    const a = await checkpoint('diff base');
    await sh("cd proj && printf 'line 1\\nline two\\n' > src/a.txt && rm run.sh && echo fresh > src/fresh.txt && chmod 640 'name with spaces.txt' && mkdir more");
    const now = await s.ok('sandbox_diff', { from: a });
    const b = await checkpoint('diff head');
    const between = await s.ok('sandbox_diff', { from: a, to: b });
    for (const r of [now, between]) {
      const changes = (r.structured?.changes as Array<{ path: string; change: string }>).map((c) => `${c.change} ${c.path}`).sort();
      assert.deepEqual(changes, [
        'added /workspace/proj/more',
        'added /workspace/proj/src/fresh.txt',
        'changed /workspace/proj/name with spaces.txt',
        'changed /workspace/proj/src/a.txt',
        'removed /workspace/proj/run.sh',
      ]);
      assert.match(r.text, /-line 2\n\+line two/);
    }
    const same = await s.ok('sandbox_diff', { from: b });
    assert.match(same.text, /no changes/);
    const bad = await s.call('sandbox_diff', { from: '../../etc' });
    assert.ok(bad.isError);
    assert.match(bad.text, /not a checkpoint id/);
  });

  it('agent_run takes a checkpoint before it starts and reports its id; sandbox_diff from it shows the run\'s changes', async () => {
    fake.push({ toolCalls: [{ name: 'file_write', args: { path: 'proj/by-agent.txt', content: 'agent was here\n' } }] }, { text: 'Wrote it.' });
    const r = await s.ok('agent_run', { task: 'write a file', wait_s: 40 });
    assert.equal(r.structured?.status, 'completed', r.text);
    const id = String(r.structured?.checkpoint);
    assert.match(id, /^ck-/, r.text);
    const d = await s.ok('sandbox_diff', { from: id });
    assert.deepEqual((d.structured?.changes as Array<{ path: string }>).map((c) => c.path), ['/workspace/proj/by-agent.txt']);
    earlierRun = id;
  });

  it("the agent of agent_run may restore its run's own checkpoint, never an older one (the user's history)", async () => {
    await sh('echo before > proj/user-file.txt');
    const asked = fake.modelRequests().length;
    // The first turn streams slowly, so the test learns the run's checkpoint id before the second turn is asked for.
    fake.push({ toolCalls: [{ name: 'sandbox_restore', args: { id: earlierRun } }], chunkDelayMs: 1500 });
    const started = await s.ok('agent_run', { task: 'undo things', wait_s: 0 });
    const runId = String(started.structured?.run_id);
    let own = '';
    for (let i = 0; i < 120 && !own; i++) {
      const st = await s.ok('agent_status', { run_id: runId, wait_s: 0 });
      own = typeof st.structured?.checkpoint === 'string' ? st.structured.checkpoint : '';
      if (!own) await new Promise((r) => setTimeout(r, 250));
    }
    assert.match(own, /^ck-/);
    fake.push({ toolCalls: [{ name: 'sandbox_restore', args: { id: own } }] }, { text: 'Done.' });
    let done = await s.ok('agent_status', { run_id: runId, wait_s: 0 });
    for (let i = 0; i < 240 && done.structured?.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      done = await s.ok('agent_status', { run_id: runId, wait_s: 0 });
    }
    if (done.structured?.status === 'running') await s.call('agent_cancel', { run_id: runId }); // its pin would hold retention below
    assert.equal(done.structured?.status, 'completed', done.text);
    const toolResults = fake.modelRequests().slice(asked).map((r) => JSON.stringify(r.body));
    assert.match(toolResults[1] ?? '', /older than this run/, 'the older checkpoint is refused');
    assert.match(toolResults[2] ?? '', new RegExp(`restored ${own}`), 'its own checkpoint is restored');
    assert.equal(await sh('cat proj/user-file.txt'), 'before\n', "the user's file from before the run is still there");
    assert.ok(((await s.ok('sandbox_checkpoints')).structured?.checkpoints as Array<{ id: string }>).some((c) => c.id === own), 'the run keeps its checkpoint');
  });

  it('a run may not restore while another run works in the sandbox (it would undo that run\'s changes)', async () => {
    const asked = fake.modelRequests().length;
    // Run B writes a file, then keeps working (a long command) while run A tries to restore.
    fake.push({ toolCalls: [{ name: 'shell_exec', args: { command: 'echo by-b > proj/by-b.txt; sleep 60', timeout_s: 120 } }] });
    const b = String((await s.ok('agent_run', { task: 'run b', wait_s: 0 })).structured?.run_id);
    for (let i = 0; i < 240 && (await sh('cat proj/by-b.txt 2>/dev/null || true')) !== 'by-b\n'; i++) await new Promise((r) => setTimeout(r, 250));
    fake.push({ toolCalls: [{ name: 'sandbox_restore', args: { id: earlierRun } }] }, { text: 'A done.' }, { text: 'B done.' });
    const a = String((await s.ok('agent_run', { task: 'run a', wait_s: 0 })).structured?.run_id);
    const waitFor = async (runId: string) => {
      let st = await s.ok('agent_status', { run_id: runId, wait_s: 0 });
      for (let i = 0; i < 240 && st.structured?.status === 'running'; i++) {
        await new Promise((r) => setTimeout(r, 1000));
        st = await s.ok('agent_status', { run_id: runId, wait_s: 0 });
      }
      if (st.structured?.status === 'running') await s.call('agent_cancel', { run_id: runId });
      return st;
    };
    assert.equal((await waitFor(a)).structured?.status, 'completed');
    const toolResults = fake.modelRequests().slice(asked).map((r) => JSON.stringify(r.body));
    assert.match(toolResults.find((t) => /another agent run/.test(t)) ?? '', new RegExp(`another agent run is working in this sandbox \\(${b}\\)`));
    assert.equal(await sh('cat proj/by-b.txt'), 'by-b\n', "run B's file is untouched");
    // The user's whole restore is refused too while B works (it would stop B's command and rewind under it).
    const user = await s.call('sandbox_restore', { id: earlierRun });
    assert.ok(user.isError, user.text);
    assert.match(user.text, new RegExp(`agent run ${b} is working in this sandbox.*agent_cancel`));
    assert.equal(await sh('cat proj/by-b.txt'), 'by-b\n', 'nothing was restored');
    assert.equal((await waitFor(b)).structured?.status, 'completed');
  });

  it('sandbox_status shows the store; retention keeps the newest and drops the oldest first', async () => {
    const status = await s.ok('sandbox_status');
    assert.match(status.text, /checkpoints: \d+ kept, \d+ MiB in the store/);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      await sh(`echo ${i} > proj/counter.txt`);
      ids.push(await checkpoint(`round ${i}`));
    }
    const list = (await s.ok('sandbox_checkpoints')).structured?.checkpoints as Array<{ id: string }>;
    assert.deepEqual(list.map((c) => c.id), ids.slice(1));
    const gone = await s.call('sandbox_restore', { id: first });
    assert.ok(gone.isError);
    assert.match(gone.text, /no checkpoint/);
  });
});
