// The manifest's hash cache on real files: an unchanged file is not read again; a same-size rewrite is caught
// through its mtime, and through its ctime when the old mtime is put back (`touch -r`); a just-written file is
// never trusted from the cache; the cache stays bounded. The remaining limit, as for rsync's quick check: a
// rewrite that keeps size, mtime, ctime and inode (only possible within one timestamp tick, which the
// "too recent" rule covers, or by resetting the clock as root) would not be seen.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HashCache } from '../../daemon/hash-cache.ts';

describe('daemon hash cache (manifest)', () => {
  let dir: string;
  let file: string;
  const later = () => Date.now() + 60_000; // as if the files had been written long ago
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'suna-hash-cache-'));
    file = join(dir, 'a.txt');
    writeFileSync(file, 'one');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('answers for a file whose size, mtime, ctime and inode are unchanged', () => {
    const cache = new HashCache(10, later);
    cache.set(file, statSync(file), 'h1');
    assert.equal(cache.get(file, statSync(file)), 'h1');
    assert.equal(cache.hits, 1);
  });

  it('misses a same-size rewrite with a new mtime', () => {
    const cache = new HashCache(10, later);
    cache.set(file, statSync(file), 'h1');
    writeFileSync(file, 'two');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    assert.equal(cache.get(file, statSync(file)), undefined);
  });

  it('misses a same-size rewrite whose old mtime was put back: the ctime moved', async () => {
    const cache = new HashCache(10, later);
    utimesSync(file, 1_700_000_000, 1_700_000_000); // whole seconds: put back exactly below
    const before = statSync(file);
    cache.set(file, before, 'h1');
    await new Promise((r) => setTimeout(r, 20)); // ctime ticks are coarser than nanoseconds
    writeFileSync(file, 'two');
    utimesSync(file, 1_700_000_000, 1_700_000_000);
    const after = statSync(file);
    assert.equal(after.size, before.size);
    assert.equal(after.mtimeMs, before.mtimeMs);
    assert.equal(cache.get(file, after), undefined);
  });

  it('never caches a file changed within the last two seconds', () => {
    const cache = new HashCache(10);
    cache.set(file, statSync(file), 'h1');
    assert.equal(cache.get(file, statSync(file)), undefined);
    assert.equal(cache.size, 0);
  });

  it('stays bounded, evicting the least recently used first', () => {
    const cache = new HashCache(2, later);
    const st = statSync(file);
    cache.set('/w/a', st, 'a');
    cache.set('/w/b', st, 'b');
    assert.equal(cache.get('/w/a', st), 'a'); // a is now the most recent
    cache.set('/w/c', st, 'c');
    assert.equal(cache.size, 2);
    assert.equal(cache.get('/w/b', st), undefined);
    assert.equal(cache.get('/w/a', st), 'a');
    assert.equal(cache.get('/w/c', st), 'c');
  });
});
