// Socket directories of sandboxes removed outside a server (docker rm, test fixtures) are pruned when a server
// starts: only empty ones, only of containers that are gone, only old ones (a server may be about to create its
// container), never anything that is not a sandbox directory.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pruneHostSocketDirs } from '../../src/host-socket.ts';

describe('host socket directories: pruning', () => {
  let base: string;
  beforeEach(() => {
    base = join(mkdtempSync(join(tmpdir(), 'suna-prune-')), 'base');
    mkdirSync(base, { mode: 0o700 });
  });
  afterEach(() => rmSync(join(base, '..'), { recursive: true, force: true }));

  it('removes only old, empty directories of containers that are gone', () => {
    const old = (Date.now() - 3600_000) / 1000;
    for (const name of ['suna-gone', 'suna-live', 'suna-busy', 'suna-young', 'not-ours']) mkdirSync(join(base, name));
    writeFileSync(join(base, 'suna-busy', 's-1.sock'), '');
    for (const name of ['suna-gone', 'suna-live', 'suna-busy', 'not-ours']) utimesSync(join(base, name), old, old);
    const pruned = pruneHostSocketDirs(base, new Set(['suna-live']));
    assert.deepEqual(pruned, ['suna-gone']);
    assert.deepEqual(readdirSync(base).sort(), ['not-ours', 'suna-busy', 'suna-live', 'suna-young']);
  });

  it('does nothing when the base is missing', () => {
    assert.deepEqual(pruneHostSocketDirs(join(base, 'nope'), new Set()), []);
  });
});
