// File operations, confined to the workspace and run as the user (through Identity.fs, see confinement.ts).
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import type { Identity } from './confinement.js';
import { DaemonError } from './errors.js';
import { DaemonErrorCodes as E, type DaemonOps, type FileEntry, type ManifestEntry } from './protocol.js';
import { HashCache } from './hash-cache.js';
import type { DiskQuota } from './quota.js';
import { readLines } from './read-lines.js';
import type { Workspace } from './workspace.js';

/** node:crypto is loaded on the first hash (manifests only, which most sandboxes never ask for): loading it at start
 *  costs every daemon ~0.6 MiB of private memory. */
const sha256 = () => (process.getBuiltinModule?.('node:crypto') ?? require('node:crypto')).createHash('sha256');

function typeOf(st: fs.Stats | fs.Dirent): FileEntry['type'] {
  return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
}

/** Rules of a nested .gitignore, re-rooted from its folder (`relDir`) to the listing root. */
export function rerootIgnoreRules(text: string, relDir: string): string[] {
  const rules: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (!relDir) {
      rules.push(line);
      continue;
    }
    const neg = line.startsWith('!');
    let pat = neg ? line.slice(1) : line;
    const anchored = pat.startsWith('/') || pat.replace(/\/$/, '').includes('/');
    pat = pat.replace(/^\//, '');
    rules.push(`${neg ? '!' : ''}${relDir}/${anchored ? '' : '**/'}${pat}`);
  }
  return rules;
}

export class FileOps {
  /** Hashes the manifest can reuse for files unchanged since (see hash-cache.ts). */
  readonly hashes = new HashCache();

  constructor(private readonly identity: Identity, private readonly workspace: Workspace, private readonly quota: DiskQuota) {}

  private io<T>(fn: () => Promise<T>): Promise<T> {
    return this.identity.fs(fn);
  }

  async read(a: DaemonOps['read'][0]): Promise<DaemonOps['read'][1]> {
    const p = await this.workspace.confine(a.path);
    return this.io(async () => {
      const fh = await fsp.open(p, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      try {
        const st = await fh.stat();
        if (st.isDirectory()) throw new DaemonError(E.isDir, 'is a directory');
        const offset = Math.max(0, Number(a.offset) || 0);
        const len = Math.max(0, Math.min(Number(a.maxBytes) || 0, st.size - offset));
        const buf = Buffer.alloc(len);
        const { bytesRead } = await fh.read(buf, 0, len, offset);
        return { data: buf.subarray(0, bytesRead).toString('base64'), size: st.size, truncated: offset + bytesRead < st.size };
      } finally {
        await fh.close();
      }
    });
  }

  async readLines(a: DaemonOps['readLines'][0]): Promise<DaemonOps['readLines'][1]> {
    const p = await this.workspace.confine(a.path);
    const { fromLine, maxLines, maxLineBytes, maxBytes } = a;
    return this.io(() => readLines(p, { fromLine, maxLines, maxLineBytes, maxBytes }));
  }

  async write(a: DaemonOps['write'][0]): Promise<DaemonOps['write'][1]> {
    const p = await this.workspace.confine(a.path, { followLast: false });
    const dir = path.dirname(p);
    if (a.mkdirs) await this.io(() => fsp.mkdir(dir, { recursive: true }));
    const existing = await this.io(() => fsp.lstat(p)).catch(() => null);
    if (existing?.isDirectory()) throw new DaemonError(E.isDir, 'is a directory');
    if (existing && a.exclusive) throw new DaemonError(E.exists, 'already exists');
    // Write a temp file then rename: a failed write never leaves a half-written file, and a symlink at the
    // destination is replaced rather than followed.
    const tmp = path.join(dir, `.${path.basename(p)}.suna-${process.pid}-${Date.now()}.tmp`);
    const data = Buffer.from(String(a.data), 'base64');
    await this.quota.check(data.length - (existing?.isFile() ? existing.size : 0));
    const mode = a.mode ?? (existing?.isFile() ? existing.mode & 0o777 : 0o644);
    await this.io(async () => {
      try {
        await fsp.writeFile(tmp, data, { mode, flag: 'wx' });
        await fsp.rename(tmp, p);
      } catch (err) {
        await fsp.rm(tmp, { force: true });
        throw err;
      }
    });
    return { bytes: data.length, created: !existing };
  }

  async stat(a: { path: string }): Promise<DaemonOps['stat'][1]> {
    const p = await this.workspace.confine(a.path, { followLast: false });
    const st = await this.io(() => fsp.lstat(p)).catch(() => null);
    if (!st) return null;
    let s = st;
    if (st.isSymbolicLink()) {
      await this.workspace.confine(a.path); // a link that leaves the workspace is refused, not described
      s = await this.io(() => fsp.stat(p));
    }
    return { path: a.path, type: typeOf(s), size: s.size, mtimeMs: s.mtimeMs, mode: s.mode };
  }

  async manifest(a: DaemonOps['manifest'][0]): Promise<DaemonOps['manifest'][1]> {
    // The walk keeps each file's lstat, so a file is stat'ed once (hash cache check included), not twice.
    const listing = await this.walk({ path: a.path, depth: 64, maxEntries: a.maxEntries, respectIgnore: a.respectIgnore }, true);
    const root = await this.workspace.confine(a.path);
    const exclude = Array.isArray(a.exclude) ? a.exclude.map(String) : [];
    const maxFileBytes = a.maxFileBytes ?? 50 * 1024 * 1024;
    const entries: ManifestEntry[] = [];
    const skipped: string[] = [];
    for (const e of listing.entries) {
      if (exclude.some((x) => e.path === x || e.path.startsWith(x.endsWith('/') ? x : x + '/'))) continue;
      const full = path.join(root, e.path);
      const st = listing.stats.get(e.path) ?? (await this.io(() => fsp.lstat(full)).catch(() => null));
      if (!st) continue;
      if (st.isSymbolicLink()) {
        const target = await this.io(() => fsp.readlink(full));
        entries.push({ path: e.path, type: 'symlink', size: 0, mtimeMs: st.mtimeMs, mode: st.mode, sha256: sha256().update(target).digest('hex'), target });
      } else if (st.isFile()) {
        if (st.size > maxFileBytes) {
          skipped.push(e.path);
          continue;
        }
        let sha256 = this.hashes.get(full, st);
        if (sha256 === undefined) {
          // Gone or replaced (by a symlink: O_NOFOLLOW) since the walk: left out, as if listed a moment later.
          const fresh = await this.io(() => hashFile(full)).catch(() => null);
          if (fresh === null) continue;
          sha256 = fresh;
          this.hashes.set(full, st, sha256);
        }
        entries.push({ path: e.path, type: 'file', size: st.size, mtimeMs: st.mtimeMs, mode: st.mode, sha256 });
      }
    }
    return { entries, truncated: listing.truncated, skipped };
  }

  async listdir(a: DaemonOps['listdir'][0]): Promise<DaemonOps['listdir'][1]> {
    const { entries, truncated } = await this.walk(a, false);
    return { entries, truncated };
  }

  /** listdir's walk; with keepStats, the lstat of every regular file is kept (by relative path) for the manifest. */
  private async walk(a: DaemonOps['listdir'][0], keepStats: boolean): Promise<DaemonOps['listdir'][1] & { stats: Map<string, fs.Stats> }> {
    const root = await this.workspace.confine(a.path);
    const stats = new Map<string, fs.Stats>();
    const entries: FileEntry[] = [];
    const maxEntries = Math.max(0, Number(a.maxEntries) || 0);
    let truncated = false;
    const walk = async (dir: string, rel: string, depth: number, ig: Ignore | null): Promise<void> => {
      let names: fs.Dirent[];
      try {
        names = await this.io(() => fsp.readdir(dir, { withFileTypes: true }));
      } catch {
        return;
      }
      names.sort((x, y) => x.name.localeCompare(y.name));
      for (const d of names) {
        if (entries.length >= maxEntries) {
          truncated = true;
          return;
        }
        const relPath = rel ? `${rel}/${d.name}` : d.name;
        const isDir = d.isDirectory();
        if (a.respectIgnore && d.name === '.git' && isDir) continue;
        if (ig && ig.ignores(isDir ? relPath + '/' : relPath)) continue;
        const type = typeOf(d);
        let size = 0;
        if (type === 'file') {
          const st = await this.io(() => fsp.lstat(path.join(dir, d.name))).catch(() => null);
          size = st?.size ?? 0;
          if (st && keepStats) stats.set(relPath, st);
        }
        entries.push({ path: relPath, type, size });
        if (isDir && depth > 1) {
          const child = path.join(dir, d.name);
          await walk(child, relPath, depth - 1, ig && (await this.loadIgnore(child, ig, relPath)));
        }
      }
    };
    await walk(root, '', Math.max(1, Number(a.depth) || 1), a.respectIgnore ? await this.loadIgnore(root, ignore()) : null);
    return { entries, truncated, stats };
  }

  /** Nested .gitignore files add rules relative to their directory; they are re-rooted to the listing root. */
  private async loadIgnore(dir: string, parent: Ignore, relDir = ''): Promise<Ignore> {
    const text = await this.io(() => fsp.readFile(path.join(dir, '.gitignore'), 'utf8')).catch(() => null);
    if (text === null) return parent;
    return ignore().add(parent).add(rerootIgnoreRules(text, relDir));
  }

  async remove(a: DaemonOps['remove'][0]): Promise<DaemonOps['remove'][1]> {
    const p = await this.workspace.confine(a.path, { followLast: false });
    if (p === this.workspace.real) throw new DaemonError(E.badRequest, 'refusing to delete the workspace root; use sandbox_reset');
    const st = await this.io(() => fsp.lstat(p)).catch(() => null);
    if (!st) throw new DaemonError(E.notFound, 'no such file or directory');
    if (st.isDirectory() && !a.recursive) {
      const inside = await this.io(() => fsp.readdir(p));
      if (inside.length) throw new DaemonError(E.notEmpty, 'directory is not empty; pass recursive: true to delete it and its contents');
      await this.io(() => fsp.rmdir(p));
    } else {
      await this.io(() => fsp.rm(p, { recursive: !!a.recursive, force: false })); // rm never follows symlinks
    }
    return { removed: true };
  }

  async move(a: DaemonOps['move'][0]): Promise<DaemonOps['move'][1]> {
    const from = await this.workspace.confine(a.from, { followLast: false });
    const to = await this.workspace.confine(a.to, { followLast: false });
    if (!(await this.io(() => fsp.lstat(from)).catch(() => null))) throw new DaemonError(E.notFound, 'source does not exist');
    if (!a.overwrite && (await this.io(() => fsp.lstat(to)).catch(() => null))) throw new DaemonError(E.exists, 'destination exists');
    await this.io(async () => {
      await fsp.mkdir(path.dirname(to), { recursive: true });
      await fsp.rename(from, to);
    });
    return { moved: true };
  }

  async mkdir(a: DaemonOps['mkdir'][0]): Promise<DaemonOps['mkdir'][1]> {
    const p = await this.workspace.confine(a.path, { followLast: false });
    const created = await this.io(() => fsp.mkdir(p, { recursive: true }));
    return { created: created !== undefined };
  }
}

/** sha256 of a file, streamed (a 50 MB file is not held in memory). */
async function hashFile(file: string): Promise<string> {
  const hash = sha256();
  const fh = await fsp.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    for await (const chunk of fh.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}
