// sandbox_restore with `paths` (the panel's per-file Undo): only the named files go back to the checkpoint (or are
// deleted when they did not exist then), everything else and running processes are left alone, the present is
// checkpointed first, and a path that leaves the checkpointed trees is refused before anything is touched.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type TestServer } from '../fixtures/server.ts';

describe('sandbox_restore of single files (real sandbox, store sidecars)', function () {
  this.timeout(600_000);
  let s: TestServer;
  let dataDir: string;
  const sh = async (command: string) => String((await s.ok('shell_exec', { command, timeout_s: 120 })).structured?.stdout ?? '');

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'suna-ckpaths-'));
    s = await startServer({ env: { SUNA_DATA_DIR: dataDir }, args: ['--tools', 'default,checkpoints'] });
  });
  after(async () => {
    await s?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('puts back a changed file, deletes an added one, recreates a removed one; nothing else moves and processes keep running', async () => {
    await sh("mkdir -p p/sub && echo one > p/a.txt && echo keep > p/b.txt && echo gone > p/sub/c.txt && printf 'x' > ~/.profile-note");
    const ck = String((await s.ok('sandbox_checkpoint', { label: 'panel run' })).structured?.id);
    await sh('echo two > p/a.txt && echo new > p/added.txt && rm -r p/sub && echo changed > p/b.txt && echo y > ~/.profile-note');
    await sh('nohup sleep 300 >/dev/null 2>&1 & echo started');
    const r = await s.ok('sandbox_restore', { id: ck, paths: ['/workspace/p/a.txt', 'p/added.txt', '/workspace/p/sub/c.txt', '/home/user/.profile-note'] });
    assert.equal(r.structured?.processes_stopped, false);
    assert.match(String(r.structured?.before_restore), /^ck-/);
    assert.equal(await sh('cat p/a.txt; test -e p/added.txt && echo added-still-there; cat p/sub/c.txt p/b.txt ~/.profile-note'), 'one\ngone\nchanged\nx');
    assert.match(await sh('pgrep -f "sleep 300" >/dev/null && echo running || echo stopped'), /running/);
    // The restore of these files can itself be undone.
    await s.ok('sandbox_restore', { id: String(r.structured?.before_restore), paths: ['p/a.txt', 'p/added.txt'] });
    assert.equal(await sh('cat p/a.txt p/added.txt'), 'two\nnew\n');
  });

  it('a symlink the agent put where a folder was does not lead the per-file restore anywhere else', async () => {
    await sh('mkdir -p q && echo orig > q/f.txt');
    const ck = String((await s.ok('sandbox_checkpoint', {})).structured?.id);
    await sh('rm -r q && mkdir -p ~/target && ln -s ../home/target q');
    const r = await s.call('sandbox_restore', { id: ck, paths: ['q/f.txt'] });
    // Whatever rsync makes of the link, nothing lands behind it (the home directory) and the store is intact.
    assert.equal(await sh('test -e ~/target/f.txt -o -e /home/target/f.txt && echo leaked || echo clean'), 'clean\n', r.text);
    await s.ok('sandbox_restore', { id: ck });
    assert.equal(await sh('test -L q && echo link || echo dir; cat q/f.txt'), 'dir\norig\n');
  });

  it('refuses paths that leave the trees (.., absolute elsewhere, controls) and changes nothing', async () => {
    const ck = String((await s.ok('sandbox_checkpoint', {})).structured?.id);
    await sh('echo after > p/a.txt');
    for (const bad of ['../etc/passwd', '/etc/passwd', 'p/../../x', 'p/a.txt\nfake', '/workspace/', '']) {
      const r = await s.call('sandbox_restore', { id: ck, paths: [bad] });
      assert.ok(r.isError, `refused ${JSON.stringify(bad)}`);
    }
    const mixed = await s.call('sandbox_restore', { id: ck, paths: ['p/a.txt', '../escape'] });
    assert.ok(mixed.isError);
    assert.match(mixed.text, /leaves the workspace|is absolute|not normalised/);
    assert.equal(await sh('cat p/a.txt'), 'after\n', 'the good path of a refused call was not restored either');
  });
});
