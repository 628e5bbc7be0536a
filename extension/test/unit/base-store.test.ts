import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseStore } from '../../src/node/base-store.ts';

const sha = (d: Uint8Array) => createHash('sha256').update(d).digest('hex');

describe('BaseStore blobs (the merge base of text files, kept across reloads)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'base-store-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps text content by its hash and gives it back; binary and oversized content is not kept', async () => {
    const store = new BaseStore(dir);
    const text = Buffer.from('line one\nline two\n');
    const binary = Buffer.from([0, 1, 2, 3, 0, 255]);
    await store.putBlob(sha(text), text);
    await store.putBlob(sha(text), text); // again: nothing changes
    await store.putBlob(sha(binary), binary);
    const big = Buffer.alloc(2 * 1024 * 1024 + 1, 'a');
    await store.putBlob(sha(big), big);
    assert.equal(await store.getBlob(sha(big)), undefined);
    assert.deepEqual(await store.getBlob(sha(text)), text);
    assert.equal(await store.getBlob(sha(binary)), undefined);
    assert.deepEqual(readdirSync(join(dir, 'objects', sha(text).slice(0, 2))), [sha(text)], 'no temporary file is left behind');
  });

  it('a blob whose bytes no longer match its name (torn by a crash, altered) reads as missing, never as a wrong base', async () => {
    const store = new BaseStore(dir);
    const text = Buffer.from('the base\n');
    await store.putBlob(sha(text), text);
    writeFileSync(join(dir, 'objects', sha(text).slice(0, 2), sha(text)), 'the ba');
    assert.equal(await store.getBlob(sha(text)), undefined);
  });

  it('only a sha256 names a blob (never a path from an answer)', async () => {
    const store = new BaseStore(dir);
    assert.equal(await store.getBlob('../../etc/passwd'), undefined);
    await store.putBlob('../x', Buffer.from('text\n'));
    assert.deepEqual(readdirSync(dir), []);
  });
});
