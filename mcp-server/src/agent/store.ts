// Where runs, sites and approvals are kept: keyv over a small file store in the data directory (zero set-up,
// survives restarts); runs can go to Redis instead (--store redis://…) when several replicas share them.
import { createHash } from 'node:crypto';
import { mkdirSync, promises as fs } from 'node:fs';
import { join } from 'node:path';
import Keyv from 'keyv';
import { RedisRunStore } from './redis-run-store.js';
import { FileRunStore, type RunStore } from './run-store.js';

/** One JSON file per key, written atomically (temp file + rename), so a crash never leaves half a record. */
export class FileStore {
  readonly opts = { dialect: 'suna-file' };
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  private file(key: string): string {
    return join(this.dir, createHash('sha256').update(key).digest('hex').slice(0, 40) + '.json');
  }
  async get(key: string): Promise<unknown> {
    const text = await fs.readFile(this.file(key), 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    const { value, expires } = JSON.parse(text) as { value: unknown; expires?: number };
    if (expires && expires < Date.now()) {
      await this.delete(key);
      return undefined;
    }
    return value;
  }
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    const file = this.file(key);
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await fs.writeFile(tmp, JSON.stringify({ key, value, expires: ttl ? Date.now() + ttl : undefined }), { mode: 0o600 });
    await fs.rename(tmp, file);
    return true;
  }
  async delete(key: string): Promise<boolean> {
    return fs.rm(this.file(key)).then(() => true, () => false);
  }
  async clear(): Promise<void> {
    for (const f of await fs.readdir(this.dir)) if (f.endsWith('.json')) await fs.rm(join(this.dir, f), { force: true });
  }
  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }
}

/** A keyv namespace over the file store above. */
export function createStore(namespace: string, dataDir: string): Keyv {
  return new Keyv({ store: new FileStore(join(dataDir, namespace)), namespace });
}

/** The run store --store names: the file store in the data directory (default) or Redis. */
export function openRunStore(store: string | undefined, dataDir: string, log: (message: string, fields?: Record<string, unknown>) => void): RunStore {
  if (store && store !== 'file') return new RedisRunStore(store, log);
  return new FileRunStore(createStore('runs', dataDir));
}
