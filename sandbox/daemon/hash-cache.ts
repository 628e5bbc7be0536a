// The manifest's memory of what it hashed: a file whose size, mtime, ctime and inode are what they were when it
// was last hashed is not read again (the check rsync and git make before reading a file). ctime cannot be set
// back by the user, so a same-size rewrite that restores the old mtime (`touch -r`) is still caught. A file
// changed within RECENT_MS of being hashed is never trusted from the cache (git's "racily clean" problem:
// two writes within one timestamp tick look the same). Bounded: the least recently used entries go first.
import type * as fs from 'node:fs';

export const HASH_CACHE_MAX_ENTRIES = 50_000;
const RECENT_MS = 2000;

interface Known {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  sha256: string;
}

export class HashCache {
  private readonly known = new Map<string, Known>();
  hits = 0;
  misses = 0;

  constructor(private readonly maxEntries = HASH_CACHE_MAX_ENTRIES, private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.known.size;
  }

  /** The cached sha256 of `file` when `st` shows it unchanged since it was hashed; undefined otherwise. */
  get(file: string, st: fs.Stats): string | undefined {
    const k = this.known.get(file);
    if (!k || k.size !== st.size || k.mtimeMs !== st.mtimeMs || k.ctimeMs !== st.ctimeMs || k.ino !== st.ino) {
      this.misses++;
      return undefined;
    }
    this.known.delete(file); // re-insert: Map order is the eviction order
    this.known.set(file, k);
    this.hits++;
    return k.sha256;
  }

  /** Remembers the hash of `file` as read with these stats (not when it changed too recently to be sure). */
  set(file: string, st: fs.Stats, sha256: string): void {
    this.known.delete(file);
    if (this.now() - Math.max(st.mtimeMs, st.ctimeMs) < RECENT_MS) return;
    this.known.set(file, { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, sha256 });
    while (this.known.size > this.maxEntries) this.known.delete(this.known.keys().next().value!);
  }
}
