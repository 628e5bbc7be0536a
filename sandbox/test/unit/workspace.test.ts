// Workspace containment on a real folder: normalised paths, symlinks of the deepest existing ancestor and of
// the last component, and paths that do not exist yet.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonError } from '../../daemon/errors.ts';
import { Workspace } from '../../daemon/workspace.ts';

describe('Workspace.confine', () => {
  let base: string;
  let ws: Workspace;
  before(() => {
    base = realpathSync(mkdtempSync(join(tmpdir(), 'suna-ws-')));
    const root = join(base, 'workspace');
    mkdirSync(join(root, 'sub'), { recursive: true });
    writeFileSync(join(base, 'secret'), 'x');
    symlinkSync(join(base, 'secret'), join(root, 'link-out'));
    symlinkSync(base, join(root, 'dir-out'));
    symlinkSync(join(root, 'sub'), join(root, 'link-in'));
    ws = new Workspace(root, root, realpath);
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  const refused = (p: unknown, code: string, opts?: { followLast?: boolean }) =>
    assert.rejects(ws.confine(p, opts), (e: unknown) => e instanceof DaemonError && e.code === code);

  it('accepts paths inside, including ones that do not exist yet', async () => {
    assert.equal(await ws.confine(join(ws.root, 'sub')), join(ws.root, 'sub'));
    assert.equal(await ws.confine(join(ws.root, 'new/deeper/file.txt')), join(ws.root, 'new/deeper/file.txt'));
    assert.equal(await ws.confine(join(ws.root, 'link-in')), join(ws.root, 'sub'));
  });

  it('refuses relative, NUL-carrying, non-string and `..`-escaping paths', async () => {
    await refused('relative/x', 'BAD_REQUEST');
    await refused(join(ws.root, 'a\0b'), 'BAD_REQUEST');
    await refused(42, 'BAD_REQUEST');
    await refused(join(ws.root, '../secret'), 'OUTSIDE_WORKSPACE');
    await refused(ws.root + '2/x', 'OUTSIDE_WORKSPACE');
  });

  it('refuses symlinks that lead out, through a folder or as the last component', async () => {
    await refused(join(ws.root, 'link-out'), 'OUTSIDE_WORKSPACE');
    await refused(join(ws.root, 'dir-out/secret'), 'OUTSIDE_WORKSPACE');
    await refused(join(ws.root, 'dir-out/not-yet'), 'OUTSIDE_WORKSPACE');
  });

  it('with followLast false, a final symlink is the link itself (to be replaced or removed)', async () => {
    assert.equal(await ws.confine(join(ws.root, 'link-out'), { followLast: false }), join(ws.root, 'link-out'));
    await refused(join(ws.root, 'dir-out/secret'), 'OUTSIDE_WORKSPACE', { followLast: false });
  });
});
