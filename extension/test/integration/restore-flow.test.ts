// The panel's checkpoints against a real suna-mcp, Docker sandbox and store sidecars (no VS Code): a checkpoint
// before a "run", the agent writes and the user edits concurrently; restoring puts the sandbox back and the
// workspace follows: the agent's file is gone, the user's edit is kept and offered for review, nothing else is
// touched. Then a run's changes from its checkpoint, and Undo of one file.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { RunCheckpoint } from '../../src/common/checkpoints.ts';
import { restoreToMessage, runChanges, takeCheckpoint, undoFile, type RestorableSession } from '../../src/node/restore-flow.ts';
import type { ServerConnection } from '../../src/node/server-connection.ts';
import { makeWorkspace, sh, startSandboxServer, syncFixture, type SyncFixture } from '../fixtures/sandbox-server.ts';

/** The smallest session the flow needs: one user message with the checkpoint. */
function sessionWith(ck: RunCheckpoint): RestorableSession & { restored: Array<[number, string]> } {
  const restored: Array<[number, string]> = [];
  return { running: false, conversation: { items: [{ kind: 'user', checkpoint: ck }] }, markRestored: (i, b) => void restored.push([i, b]), restored };
}

describe('panel checkpoints: restore and per-file undo (real sandbox)', function () {
  this.timeout(300_000);
  let conn: ServerConnection;
  let f: SyncFixture;

  before(async () => {
    conn = startSandboxServer();
    const root = await makeWorkspace({ 'keep.txt': 'untouched\n', 'agent-edits.txt': 'v1\n', 'user-edits.txt': 'mine v1\n', 'src/app.js': 'app\n' });
    f = syncFixture(conn, root);
    await f.engine.start();
  });
  after(async () => {
    await conn?.dispose();
    if (f) await fsp.rm(f.root, { recursive: true, force: true });
  });

  it('Restore to here: the agent\'s changes leave the workspace, the user\'s concurrent edit becomes a review item, nothing else is touched', async () => {
    const keptStat = await fsp.stat(join(f.root, 'keep.txt'));
    const ck = { id: (await takeCheckpoint(conn, 'before the run'))!, at: Date.now() };
    // The "run": the agent writes a file and changes another; the user edits a third meanwhile (pushed by the sync).
    f.engine.trackRun(true);
    await sh(conn, 'echo "by the agent" > created.txt && echo v2 > agent-edits.txt');
    await f.write('user-edits.txt', 'mine v2\n');
    f.engine.notifyChanged(['user-edits.txt']);
    await f.engine.settle();
    await f.engine.pull();
    f.engine.trackRun(false);
    assert.equal(await f.read('created.txt'), 'by the agent\n');
    assert.equal(await sh(conn, 'cat user-edits.txt'), 'mine v2\n');

    const session = sessionWith(ck);
    const before = await restoreToMessage(session, 0, conn, f.engine);
    assert.match(before, /^ck-/);
    assert.deepEqual(session.restored, [[0, before]]);
    assert.equal(await sh(conn, 'cat agent-edits.txt user-edits.txt; test -e created.txt || echo no-created'), 'v1\nmine v1\nno-created\n');
    assert.equal(await f.read('created.txt'), null, "the agent's file is gone from the workspace");
    assert.equal(await f.read('agent-edits.txt'), 'v1\n');
    assert.equal(await f.read('user-edits.txt'), 'mine v2\n', "the user's edit is not discarded");
    assert.deepEqual(f.engine.state.conflicts, ['user-edits.txt']);
    assert.match(f.engine.theirs('user-edits.txt')!.reason, /after that point; the restore put back/);
    const after = await fsp.stat(join(f.root, 'keep.txt'));
    assert.equal(after.mtimeMs, keptStat.mtimeMs, 'an untouched file is not rewritten');
    await f.engine.resolve('user-edits.txt', 'mine');
    await f.engine.settle();
    assert.equal(await sh(conn, 'cat user-edits.txt'), 'mine v2\n');
  });

  it('Changes in this run lists the run\'s files with their text before; Undo of one file puts just that one back', async () => {
    const ck = { id: (await takeCheckpoint(conn, 'second run'))!, at: Date.now() };
    await sh(conn, 'echo changed > src/app.js && echo new > fresh.txt && rm keep.txt');
    await f.engine.pull();
    const changes = await runChanges(conn, ck);
    assert.deepEqual(
      changes.files.map((c) => [c.path, c.change, c.before]),
      [
        ['fresh.txt', 'added', ''],
        ['keep.txt', 'removed', 'untouched\n'],
        ['src/app.js', 'changed', 'app\n'],
      ].sort(),
    );
    await undoFile(conn, f.engine, ck, 'src/app.js');
    await undoFile(conn, f.engine, ck, 'keep.txt');
    assert.equal(await f.read('src/app.js'), 'app\n');
    assert.equal(await f.read('keep.txt'), 'untouched\n');
    assert.equal(await f.read('fresh.txt'), 'new\n', 'the file not undone stays');
    assert.equal(await sh(conn, 'cat src/app.js keep.txt fresh.txt'), 'app\nuntouched\nnew\n');
    await assert.rejects(undoFile(conn, f.engine, ck, '../outside'), /cannot undo/);
  });
});
