// The workspace sync end to end against a real suna-mcp and Docker sandbox (no VS Code): what goes in,
// what comes back, and that a user edit is never overwritten. Runs in order: one workspace, one sandbox.
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { ServerConnection } from '../../src/node/server-connection.ts';
import { makeWorkspace, sh, startSandboxServer, syncFixture, type SyncFixture } from '../fixtures/sandbox-server.ts';

describe('workspace sync engine (real sandbox)', function () {
  this.timeout(180_000);
  let conn: ServerConnection;
  let f: SyncFixture;
  const log: string[] = [];

  before(async () => {
    conn = startSandboxServer((l) => log.push(l));
    const root = await makeWorkspace({
      '.gitignore': 'node_modules/\n*.log\n',
      'src/app.ts': 'export const a = 1;\nexport const b = 2;\nexport const c = 3;\nexport const d = 4;\n',
      'src/util.ts': 'export {};\n',
      'README.md': '# demo\n',
      'node_modules/dep/index.js': 'ignored\n',
      'debug.log': 'ignored\n',
      'big.bin': Buffer.alloc(300 * 1024, 1),
      'scripts/run.sh': '#!/bin/sh\necho ok\n',
    });
    await fsp.chmod(join(root, 'scripts/run.sh'), 0o755);
    await fsp.mkdir(join(root, '.git'));
    await fsp.writeFile(join(root, '.git/config'), '[core]\n');
    f = syncFixture(conn, root, { maxFileBytes: 256 * 1024 });
  });
  after(async () => {
    await conn?.dispose();
    if (f) await fsp.rm(f.root, { recursive: true, force: true });
  });

  it('first sync pushes what .gitignore keeps, never .git, and reports files over the size cap', async () => {
    await f.engine.start();
    const files = (await sh(conn, 'find . -type f -not -path "./.suna/*" | sort')).trim().split('\n');
    assert.deepEqual(files, ['./.gitignore', './README.md', './scripts/run.sh', './src/app.ts', './src/util.ts']);
    assert.equal(await sh(conn, 'scripts/run.sh'), 'ok\n');
    assert.deepEqual(f.engine.state.skipped, [{ path: 'big.bin', reason: 'larger than 256 KB' }]);
    assert.equal(f.engine.state.state, 'idle');
  });

  it('a local edit reaches the sandbox; a local deletion too', async () => {
    await f.write('src/util.ts', 'export const u = 1;\n');
    await fsp.rm(join(f.root, 'README.md'));
    f.engine.notifyChanged(['src/util.ts', 'README.md']);
    await f.engine.settle();
    assert.equal(await sh(conn, 'cat src/util.ts; test -e README.md && echo still-there || echo gone'), 'export const u = 1;\ngone\n');
  });

  it('what only the agent changed, created or deleted comes back', async () => {
    await sh(conn, 'echo "// agent" >> src/util.ts && mkdir -p gen && echo made > gen/new.txt && rm scripts/run.sh');
    await f.engine.pull();
    assert.equal(await f.read('src/util.ts'), 'export const u = 1;\n// agent\n');
    assert.equal(await f.read('gen/new.txt'), 'made\n');
    assert.equal(await f.read('scripts/run.sh'), null);
    assert.deepEqual(f.engine.state.conflicts, []);
  });

  it('edits to different lines on both sides merge', async () => {
    await sh(conn, "sed -i 's/b = 2/b = 20/' src/app.ts");
    await f.write('src/app.ts', 'export const a = 1;\nexport const b = 2;\nexport const c = 3;\nexport const d = 40;\n');
    await f.engine.pull();
    const merged = 'export const a = 1;\nexport const b = 20;\nexport const c = 3;\nexport const d = 40;\n';
    assert.equal(await f.read('src/app.ts'), merged);
    await f.engine.settle();
    assert.equal(await sh(conn, 'cat src/app.ts'), merged, 'the merge result is pushed back');
  });

  it('the same line changed on both sides is a conflict: the local file is left alone until the user decides', async () => {
    await sh(conn, "sed -i 's/a = 1/a = 100/' src/app.ts");
    await f.write('src/app.ts', (await f.read('src/app.ts'))!.replace('a = 1', 'a = 7'));
    // The watcher's push meets the agent's change (if_match) and turns into a merge attempt → conflict.
    f.engine.notifyChanged(['src/app.ts']);
    await f.engine.settle();
    assert.deepEqual(f.engine.state.conflicts, ['src/app.ts']);
    assert.match((await f.read('src/app.ts'))!, /a = 7/);
    assert.match(await sh(conn, 'cat src/app.ts'), /a = 100/, 'the agent version stays in the sandbox too');
    assert.match(Buffer.from(f.engine.theirs('src/app.ts')!.theirs!).toString(), /a = 100/);
    await f.engine.resolve('src/app.ts', 'mine');
    assert.match(await sh(conn, 'cat src/app.ts'), /a = 7/, 'keep mine pushes mine');
    assert.deepEqual(f.engine.state.conflicts, []);
  });

  it('take theirs writes the agent version locally', async () => {
    await sh(conn, 'echo theirs > src/util.ts');
    await f.write('src/util.ts', 'mine\n');
    await f.engine.pull();
    assert.deepEqual(f.engine.state.conflicts, ['src/util.ts']);
    await f.engine.resolve('src/util.ts', 'theirs');
    assert.equal(await f.read('src/util.ts'), 'theirs\n');
  });

  it('an agent deletion of a file the user changed is a conflict, not a deletion', async () => {
    await f.write('gen/new.txt', 'user changed it\n');
    await sh(conn, 'rm gen/new.txt');
    await f.engine.pull();
    assert.equal(await f.read('gen/new.txt'), 'user changed it\n');
    assert.deepEqual(f.engine.state.conflicts, ['gen/new.txt']);
    await f.engine.resolve('gen/new.txt', 'mine');
    assert.equal(await sh(conn, 'cat gen/new.txt'), 'user changed it\n');
  });

  it('an unsaved editor counts as a user edit', async () => {
    f.writer.unsaved.add('src/util.ts');
    await sh(conn, 'echo agent-again > src/util.ts');
    await f.engine.pull();
    assert.equal(await f.read('src/util.ts'), 'theirs\n');
    assert.deepEqual(f.engine.state.conflicts, ['src/util.ts']);
    f.writer.unsaved.clear();
    await f.engine.resolve('src/util.ts', 'theirs');
  });

  it('sensitive files coming back wait for approval; .git in the sandbox never comes back', async () => {
    await sh(conn, 'mkdir -p .vscode .git && echo "{\\"x\\":1}" > .vscode/settings.json && echo "export X=1" > .envrc && echo evil > .git/config');
    await f.engine.pull();
    assert.deepEqual([...f.engine.state.pending].sort(), ['.envrc', '.vscode/settings.json']);
    assert.equal(await f.read('.vscode/settings.json'), null);
    assert.equal(await f.read('.git/config'), '[core]\n');
    await f.engine.resolve('.envrc', 'theirs');
    assert.equal(await f.read('.envrc'), 'export X=1\n');
    await f.engine.resolve('.vscode/settings.json', 'mine');
    assert.equal(await f.read('.vscode/settings.json'), null);
  });

  it('a targeted pull (the paths a file tool named) brings back writes and deletions; a folder falls back to a full pull', async () => {
    await sh(conn, 'echo targeted > gen/t.txt && rm -f src/util.ts && mkdir -p newdir && echo inside > newdir/x.txt');
    await f.engine.pullPaths(['gen/t.txt', 'src/util.ts']);
    assert.equal(await f.read('gen/t.txt'), 'targeted\n');
    assert.equal(await f.read('src/util.ts'), null);
    assert.equal(await f.read('newdir/x.txt'), null, 'not named, not pulled');
    await f.engine.pullPaths(['newdir']);
    await f.engine.settle();
    for (let i = 0; i < 20 && (await f.read('newdir/x.txt')) === null; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await f.read('newdir/x.txt'), 'inside\n');
  });

  it('a file the agent grew past the size cap is not taken as deleted: the local copy stays', async () => {
    await sh(conn, 'head -c 400000 /dev/zero | tr "\\0" x > gen/t.txt');
    await f.engine.pull();
    assert.equal(await f.read('gen/t.txt'), 'targeted\n');
    assert.deepEqual(f.engine.state.conflicts, []);
  });

  it('an absolute symlink in the workspace is skipped with a notice; the rest still syncs and the base is kept', async () => {
    const outside = await fsp.mkdtemp(join(f.root, '..', 'suna-outside-'));
    try {
      await fsp.writeFile(join(outside, 'victim.txt'), 'original');
      await fsp.symlink(outside, join(f.root, 'ext'));
      await f.write('after-link.txt', 'still synced\n');
      const baseBefore = f.engine.state.files;
      f.engine.notifyChanged(['ext', 'after-link.txt']);
      await f.engine.settle();
      assert.notEqual(f.engine.state.state, 'error', f.engine.state.message);
      assert.equal(await sh(conn, 'cat after-link.txt; test -e ext && echo ext-present || echo ext-absent'), 'still synced\next-absent\n');
      assert.match(f.engine.state.skipped.find((i) => i.path === 'ext')?.reason ?? '', /absolute: not synced/);
      assert.ok(f.engine.state.files > baseBefore, 'the sync base grew; it was not emptied');

      // The agent makes ext/ a real folder in the sandbox: its file must not land behind the local symlink.
      await sh(conn, 'mkdir -p ext && echo pwned > ext/victim.txt && echo pwned > ext/new.txt && echo fine > sibling.txt');
      await f.engine.pull();
      assert.notEqual(f.engine.state.state, 'error', f.engine.state.message);
      assert.equal(await fsp.readFile(join(outside, 'victim.txt'), 'utf8'), 'original');
      assert.deepEqual(await fsp.readdir(outside), ['victim.txt']);
      assert.equal(await f.read('sibling.txt'), 'fine\n', 'the valid sibling lands');
      assert.match(f.engine.state.skipped.find((i) => i.path === 'ext/new.txt')?.reason ?? '', /symlink: nothing is written through it/);
    } finally {
      await fsp.rm(join(f.root, 'ext'), { force: true });
      await fsp.rm(outside, { recursive: true, force: true });
    }
  });

  it('a file the user saved during a run and the agent then replaced is a review item; outside a run it comes back', async () => {
    f.engine.trackRun(true);
    await f.write('src/saved.ts', 'user version\n');
    f.engine.notifyChanged(['src/saved.ts']);
    await f.engine.settle();
    assert.equal(await sh(conn, 'cat src/saved.ts'), 'user version\n', 'the save was pushed');
    await sh(conn, 'echo agent version > src/saved.ts');
    await f.engine.pull();
    assert.deepEqual(f.engine.state.conflicts, ['src/saved.ts']);
    assert.equal(await f.read('src/saved.ts'), 'user version\n', 'not applied silently');
    await f.engine.resolve('src/saved.ts', 'theirs');
    assert.equal(await f.read('src/saved.ts'), 'agent version\n');
    f.engine.trackRun(false);
    await sh(conn, 'echo agent again > src/saved.ts');
    await f.engine.pull();
    assert.equal(await f.read('src/saved.ts'), 'agent again\n', 'after the run the agent change comes back as before');
  });

  it('a wiped sandbox gets the workspace again instead of wiping the workspace', async () => {
    await sh(conn, 'find . -mindepth 1 -maxdepth 1 -not -name .suna -exec rm -rf {} +');
    await f.engine.pull();
    assert.equal(await f.read('src/app.ts') !== null, true);
    assert.match(await sh(conn, 'cat src/app.ts'), /a = 7/);
  });
});
