// Attacks on the checkpoint store from what the agent runs (issue 19). The store is a volume only the store
// sidecars mount (never the agent's container); the writer sees the agent's volumes read-only, the restorer sees
// the store read-only, and the agent's container is stopped during a restore. So from shell_exec the agent can
// neither see, alter nor delete its history; a symlink or rename raced into the tree during a checkpoint or
// planted before a restore writes nothing outside the sandbox's own volumes; and hostile names in a diff reach
// the reader JSON-quoted, flagged, never as lines of their own.
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../fixtures/server.ts';
import { docker } from './helpers.ts';

describe('reliability: attacks on the checkpoint store from inside the sandbox', function () {
  this.timeout(600_000);
  let s: TestServer;
  const sh = async (command: string, timeout_s = 120) => String((await s.ok('shell_exec', { command, timeout_s })).structured?.stdout ?? '');
  const checkpoint = async (label: string) => String((await s.ok('sandbox_checkpoint', { label })).structured?.id);
  const ids = async () => ((await s.ok('sandbox_checkpoints')).structured?.checkpoints as Array<{ id: string }>).map((c) => c.id);

  before(async () => {
    s = await startServer({ args: ['--tools', 'default,checkpoints'] }); // not in the default list without agent_run
    await sh('mkdir -p precious && echo "v1" > precious/data.txt');
  });
  after(async () => s?.close());

  it('the agent cannot see, alter or delete the store from shell_exec', async () => {
    const first = await checkpoint('history');
    // Nothing of the store is mounted or reachable in the agent's container.
    const mounts = await sh('cat /proc/self/mountinfo');
    assert.doesNotMatch(mounts, /checkpoints|\/store/);
    assert.equal((await sh(`find / -xdev -name '${first}*' 2>/dev/null | head -5; ls -d /store /src /dst 2>&1 | grep -c 'No such'`)).trim(), '3');
    assert.equal((await sh(`ls /proc/*/root/store 2>&1 | grep -vc 'Permission denied\\|No such' || true`)).trim(), '0');
    // Wiping everything the agent can reach leaves the history whole, and a restore brings the data back.
    await sh('rm -rf /workspace/* /workspace/.[!.]* ~/* ~/.[!.]* 2>/dev/null; true');
    assert.ok((await ids()).includes(first));
    await s.ok('sandbox_restore', { id: first });
    assert.equal(await sh('cat precious/data.txt'), 'v1\n');
    // The store sidecars run no agent process and keep the store out of the agent's container's mounts.
    const info = await docker.getContainer(`suna-${s.sandboxName}`).inspect();
    assert.ok(!info.Mounts.some((m) => m.Name?.endsWith('-checkpoints')));
    const writer = await docker.getContainer(`suna-${s.sandboxName}-ckpt-writer`).inspect();
    assert.equal(writer.HostConfig.NetworkMode, 'none');
    assert.equal(writer.HostConfig.ReadonlyRootfs, true);
    assert.deepEqual(writer.Mounts.filter((m) => m.Destination.startsWith('/src/')).map((m) => m.RW), [false, false]);
    const restorer = await docker.getContainer(`suna-${s.sandboxName}-ckpt-restorer`).inspect();
    assert.equal(restorer.Mounts.find((m) => m.Destination === '/store')?.RW, false);
  });

  it('a symlink/rename race during checkpoints cannot write outside the store, nor smuggle anything but the image\'s own files', async () => {
    // The racer flips race/ between a real directory (a file "passwd" holding "mine") and links to the sidecar's
    // /etc, the store and the other volume's mount point, as fast as it can, while checkpoints are taken.
    await sh('mkdir -p race-src && echo mine > race-src/passwd && cp -a race-src race');
    await s.ok('shell_start', {
      name: 'racer',
      command: 'cd /workspace; for i in $(seq 1 200000); do for t in /etc /store/cp /src/home /dst; do rm -rf race; ln -s $t race; rm -f race; cp -a race-src race; done; done',
    });
    const taken: string[] = [];
    for (let i = 0; i < 6; i++) taken.push(await checkpoint(`race ${i}`));
    const imagePasswd = await sh('cat /etc/passwd');
    for (const id of taken) {
      const d = await s.ok('sandbox_diff', { from: taken[0]!, to: id });
      assert.ok(!d.isError, d.text);
    }
    // Every raced checkpoint restores to something made only of the agent's own file or the (public) image's.
    for (const id of taken.slice(-2)) {
      await s.ok('sandbox_restore', { id });
      const got = await sh('cat race/passwd 2>/dev/null || echo absent');
      assert.ok(['mine\n', 'absent\n', imagePasswd].includes(got), `unexpected content after restoring ${id}: ${got.slice(0, 200)}`);
      assert.equal(await sh('cat precious/data.txt'), 'v1\n');
    }
    // The store's earlier checkpoints are intact (the first one restores the original data).
    assert.ok((await ids()).includes(taken[0]!));
  });

  it('a link planted where the checkpoint has a directory is replaced on restore, not written through', async () => {
    await sh('rm -rf race race-src && mkdir -p tree/sub && echo inside > tree/sub/file');
    const id = await checkpoint('with a directory');
    // The agent replaces the directory with links into the restorer's own mounts (the store, read-only there)
    // and to an absolute path of its own container.
    await sh('rm -rf tree && ln -s /store/cp tree && mkdir -p ~/elsewhere && ln -s /home/user/elsewhere precious/data.txt.d');
    await s.ok('sandbox_restore', { id });
    assert.equal(await sh('test -d tree && ! test -L tree && cat tree/sub/file'), 'inside\n');
    assert.equal((await sh('ls ~/elsewhere | wc -l')).trim(), '0');
    assert.ok((await ids()).includes(id));
  });

  it('a checkpoint whose links a crash of the store program cut short is completed before anything uses it', async () => {
    // After its answer the writer links the unchanged files from the previous checkpoint; kill it right then.
    await sh('rm -rf many && mkdir many && for i in $(seq 1 3000); do echo $i > many/f$i; done');
    await checkpoint('many files');
    await sh('echo changed > many/f1');
    const id = await checkpoint('one changed');
    const writer = docker.getContainer(`suna-${s.sandboxName}-ckpt-writer`);
    const exec = await writer.exec({ Cmd: ['sh', '-c', 'for p in /proc/[0-9]*; do head -c 40 $p/cmdline 2>/dev/null | grep -q bin/node && kill -9 ${p#/proc/}; done; true'], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({});
    await new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.resume();
    });
    await sh('rm -rf many');
    await s.ok('sandbox_restore', { id });
    assert.equal(await sh('ls many | wc -l'), '3000\n');
    assert.equal(await sh('cat many/f1 many/f2 many/f3000'), 'changed\n2\n3000\n');
  });

  it('hostile file names in a diff are listed quoted and flagged, never as lines or markup of their own', async () => {
    const id = await checkpoint('before hostile names');
    const made = await sh(
      `python3 - <<'EOF'
import os
os.makedirs('/workspace/h', exist_ok=True)
for name in [b'nl\\n+ FORGED.txt', b'esc\\x1b[31mred', b'bad-\\xff\\xfe-utf8', b'x' * 255, b'quote"and\\\\back', b'tab\\there', b'sep\\xe2\\x80\\xa8line']:
    open(os.path.join(b'/workspace/h', name), 'wb').write(b'payload\\n')
print('written')
EOF`,
    );
    assert.equal(made, 'written\n');
    const d = await s.ok('sandbox_diff', { from: id });
    const lines = d.text.split('\n');
    assert.ok(!lines.some((l) => l.startsWith('+ FORGED')), 'a name must not forge a line');
    assert.doesNotMatch(d.text, /\x1b/);
    const changes = d.structured?.changes as Array<{ path: string; unusual?: string }>;
    const unusual = changes.filter((c) => c.unusual);
    assert.ok(unusual.length >= 4, JSON.stringify(changes));
    assert.ok(unusual.some((c) => c.unusual === 'not valid UTF-8'));
    assert.ok(unusual.every((c) => c.path.startsWith('"')));
    assert.ok(changes.some((c) => c.path === `/workspace/h/${'x'.repeat(255)}` && !c.unusual));
  });
  it('a same-size rewrite with a forged mtime (to the nanosecond) is seen by diff and checkpoint, and undone by restore', async () => {
    await sh("rm -rf forged && mkdir forged && printf AAAAAAAA > forged/a.txt && printf original > forged/b.txt && touch -d '2020-01-02 03:04:05.123456789' forged/a.txt forged/b.txt");
    const id = await checkpoint('before the forgery');
    const stamp = 'stat -c "%s %y" forged/a.txt';
    const before = await sh(stamp);
    // Same size, other bytes, then the mtime put back exactly: rsync's quick check and a plain compare pass it.
    const forge = (bytes: string) => sh(`m="$(stat -c %y forged/a.txt)"; printf ${bytes} > forged/a.txt; touch -d "$m" forged/a.txt`);
    await forge('BBBBBBBB');
    assert.equal(await sh(stamp), before, 'the forgery keeps size and mtime');
    const paths = async (from: string, to?: string) => ((await s.ok('sandbox_diff', { from, ...(to ? { to } : {}) })).structured?.changes as Array<{ path: string }>).map((c) => c.path);
    assert.deepEqual(await paths(id), ['/workspace/forged/a.txt']);
    const forgedId = await checkpoint('after the forgery');
    assert.deepEqual(await paths(id, forgedId), ['/workspace/forged/a.txt'], 'the checkpoint holds the forged bytes, not a link to the old ones');
    await s.ok('sandbox_restore', { id });
    assert.equal(await sh('cat forged/a.txt forged/b.txt'), 'AAAAAAAAoriginal');
    // Per-file restore: the same forgery, undone for the named file only.
    await forge('CCCCCCCC');
    await s.ok('sandbox_restore', { id, paths: ['forged/a.txt'] });
    assert.equal(await sh('cat forged/a.txt'), 'AAAAAAAA');
    // And the checkpoint of the forged state restores the forged bytes.
    await s.ok('sandbox_restore', { id: forgedId });
    assert.equal(await sh('cat forged/a.txt'), 'BBBBBBBB');
  });
});
