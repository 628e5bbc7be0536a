// The sync base: for every path, the sha256 both sides agreed on at the last sync, kept across reloads,
// plus the content of text files (content-addressed) so a later three-way merge has its base.
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { isBinary } from '../common/merge.js';
import { readJson, writeFileAtomic } from './atomic-file.js';

/** Only what can be merged is kept: text files up to this size. */
const MAX_BLOB_BYTES = 2 * 1024 * 1024;

export class BaseStore {
  readonly hashes = new Map<string, string>();
  private saveTimer: NodeJS.Timeout | undefined;
  private saving: Promise<void> = Promise.resolve();

  /** `dir` null: keep everything in memory (tests, benches). */
  constructor(private readonly dir: string | null) {}

  private get indexPath(): string {
    return join(this.dir!, 'base.json');
  }

  async load(): Promise<void> {
    if (!this.dir) return;
    const data = await readJson<{ version: 1; hashes: Record<string, string> }>(this.indexPath);
    this.hashes.clear();
    if (data?.version === 1) for (const [p, h] of Object.entries(data.hashes)) this.hashes.set(p, h);
  }

  set(path: string, sha: string): void {
    this.hashes.set(path, sha);
    this.scheduleSave();
  }

  delete(path: string): void {
    if (this.hashes.delete(path)) this.scheduleSave();
  }

  clear(): void {
    this.hashes.clear();
    this.scheduleSave();
  }

  private readonly memoryBlobs = new Map<string, Uint8Array>();

  /** Keeps the content of `sha` when it could be merged later. */
  async putBlob(sha: string, data: Uint8Array): Promise<void> {
    if (data.length > MAX_BLOB_BYTES || isBinary(data) || !/^[0-9a-f]{64}$/.test(sha)) return;
    if (!this.dir) {
      this.memoryBlobs.set(sha, data);
      return;
    }
    const path = this.blobPath(sha);
    if (await fsp.stat(path).then(() => true, () => false)) return;
    // No fsync (an initial sync writes thousands): the name is the content's hash and getBlob checks it, so a blob
    // a crash left torn reads as missing (the merge then offers the file for review instead of merging).
    const dir = dirname(path);
    if (!this.blobDirs.has(dir)) {
      await fsp.mkdir(dir, { recursive: true });
      this.blobDirs.add(dir);
    }
    const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    await fsp.writeFile(tmp, data, { mode: 0o600 });
    await fsp.rename(tmp, path).catch(async (err: unknown) => {
      await fsp.rm(tmp, { force: true });
      throw err;
    });
  }

  private readonly blobDirs = new Set<string>();

  async getBlob(sha: string): Promise<Uint8Array | undefined> {
    if (!this.dir) return this.memoryBlobs.get(sha);
    if (!/^[0-9a-f]{64}$/.test(sha)) return undefined;
    const data = await fsp.readFile(this.blobPath(sha)).catch(() => undefined);
    return data && createHash('sha256').update(data).digest('hex') === sha ? data : undefined;
  }

  private blobPath(sha: string): string {
    // The hash names a file: only a real sha256 (never a path-like string from an answer) is accepted.
    if (!/^[0-9a-f]{64}$/.test(sha)) throw new Error('not a sha256');
    return join(this.dir!, 'objects', sha.slice(0, 2), sha);
  }

  private scheduleSave(): void {
    if (!this.dir || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.flush();
    }, 500);
  }

  /** Writes the index now (atomically). */
  flush(): Promise<void> {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (!this.dir) return Promise.resolve();
    const snapshot = JSON.stringify({ version: 1, hashes: Object.fromEntries(this.hashes) });
    this.saving = this.saving.catch(() => {}).then(() => writeFileAtomic(this.indexPath, snapshot));
    return this.saving;
  }

  /** Deletes stored contents no base entry refers to any more. */
  async collectGarbage(): Promise<void> {
    if (!this.dir) return;
    const live = new Set(this.hashes.values());
    const root = join(this.dir, 'objects');
    for (const sub of await fsp.readdir(root).catch(() => [] as string[])) {
      for (const name of await fsp.readdir(join(root, sub)).catch(() => [] as string[])) {
        if (!live.has(name)) await fsp.rm(join(root, sub, name), { force: true });
      }
    }
  }
}
