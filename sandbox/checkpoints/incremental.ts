// A checkpoint after the first one, without making rsync re-examine every file. Why: with --link-dest rsync pays,
// per unchanged file, a round trip between its three processes plus a stat of the destination and of the basis
// before the link; on a 5,000-file tree that was about 0.6 s of CPU for one changed file. Here the store program
// walks the agent's tree and the previous checkpoint itself (lstat only: cheap), takes as unchanged what rsync's
// own quick check would (type, size, mtime to the nanosecond, mode, owner, link target: tree.ts `compare`),
// hard-links those from the previous checkpoint, and hands only the changed entries to rsync (--files-from),
// which still does every copy, so modes, owners, nanosecond times, symlinks and specials come out as before.
// Directories are made here and get their owner, mode and times last (entries written into them move their mtime).
// The trees stay plain hard-link trees, exactly what --link-dest made: restore and diff are unchanged.
// The links are made after the answer (`completeTree`): what a checkpoint must capture at its moment is the agent's
// tree, and that is read before the answer (the walk, and rsync's copies of what changed); the unchanged files are
// taken from the previous checkpoint, which only this program writes. The program finishes the links before it
// serves the next request, and a journal (store-tool.ts) lets a restarted program finish them after a crash.
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, utimesSync, type BigIntStats } from 'node:fs';
import { compare, confirm, walk, type Entry } from './tree.js';

export interface IncrementalResult {
  files: number;
  totalBytes: number;
  addedBytes: number;
  /** Entries added, changed or removed since the previous checkpoint (what rsync's itemized list counted). */
  changed: number;
  /** rsync's exit code for the changed entries (0, or 23/24 when some could not be read or vanished). */
  code: number;
  stderr: string;
  /** The agent's tree as walked: what the next checkpoint may take as this one's (see `incrementalCopy`). */
  walked: Map<string, Entry>;
  /** What is left once the answer is sent. */
  pending: PendingTree;
}

/** The rest of a checkpoint tree: links from the basis, then each directory's owner, mode and mtime (ns, as text). */
export interface PendingTree {
  basis: string;
  to: string;
  links: string[];
  /** Parents before children; '' is the tree's root. */
  dirs: Array<[key: string, uid: number, gid: number, mode: number, mtimeNs: string]>;
}

const SLASH = Buffer.from('/');
const pathOf = (root: string, key: string) => Buffer.concat([Buffer.from(root), SLASH, Buffer.from(key, 'latin1')]);

/**
 * rsync of the listed entries only (NUL-separated raw names on stdin), nothing itemized: we already know what
 * changed. --no-implied-dirs: the parents are the directories made here, and rsync must never replace one (by a
 * symlink raced into the agent's tree) and then write through it; only the listed names are rsync's to write.
 */
export function rsyncListed(from: string, to: string, keys: string[], extra: string[] = []): Promise<{ code: number; stderr: string }> {
  if (!keys.length) return Promise.resolve({ code: 0, stderr: '' });
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/rsync', ['-a', '--numeric-ids', '--no-implied-dirs', ...extra, '--from0', '--files-from=-', '--', `${from}/`, `${to}/`], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stderr }));
    child.stdin.on('error', () => {}); // rsync gone early: its exit code says why
    child.stdin.end(Buffer.concat(keys.flatMap((k) => [Buffer.from(k, 'latin1'), Buffer.alloc(1)])));
  });
}

/** Directory owner, mode and times as in the agent's tree (after everything was written into them). */
function settleDirectory(path: Buffer, uid: number, gid: number, mode: number, mtimeNs: string): void {
  chownSync(path, uid, gid);
  chmodSync(path, mode);
  const mtime = Number(BigInt(mtimeNs)) / 1e9;
  utimesSync(path, mtime, mtime);
}

const entryOf = (st: BigIntStats, type: Entry['type']): Entry => ({ type, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, mode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid) });

/**
 * The part of checkpoint tree `to` that reads the agent's tree `from` (read-only): its directories made, its
 * changed entries copied by rsync. The unchanged ones are left for `completeTree`, linked from the previous
 * checkpoint's tree `basis`. `known`: the walk that built `basis` (kept by the long-running program), which saves
 * walking it again; it is exact, because the entries rsync copied are read back from the store below.
 * `basisWalkedAt` (ns): when the walk that made `basis` began; a file of the agent's changed (ctime) since then is
 * compared by content, so a same-size rewrite with a forged mtime is not taken for the basis's bytes.
 * Throws when a walk is refused (too many entries, too deep): the caller then falls back to plain rsync.
 */
export async function incrementalCopy(from: string, basis: string, to: string, excludes: readonly string[], basisWalkedAt: bigint, known?: Map<string, Entry>): Promise<IncrementalResult> {
  const before = known ?? walk(basis);
  const now = walk(from, excludes);
  const changes = confirm(basis, from, compare(basis, before, from, now, false, basisWalkedAt));
  const changedKeys = new Set(changes.map((c) => c.key));
  const toCopy: string[] = [];
  const links: string[] = [];
  const dirs: PendingTree['dirs'] = [];
  let totalBytes = 0;
  let addedBytes = 0;
  const root = lstatSync(from, { bigint: true });
  mkdirSync(to, { recursive: true, mode: 0o700 });
  dirs.push(['', Number(root.uid), Number(root.gid), Number(root.mode & 0o7777n), String(root.mtimeNs)]);
  // Map order is the walk's: a directory comes before its entries.
  for (const [key, e] of now) {
    if (e.type === 'f') totalBytes += Number(e.size);
    if (e.type === 'd') {
      mkdirSync(pathOf(to, key), { mode: 0o700 });
      dirs.push([key, e.uid, e.gid, e.mode, String(e.mtimeNs)]);
    } else if (changedKeys.has(key)) {
      toCopy.push(key);
      if (e.type === 'f') addedBytes += Number(e.size);
    } else links.push(key);
  }
  const r = await rsyncListed(from, to, toCopy);
  // What rsync stored may differ from the walk (the agent raced it): the next checkpoint compares with what is stored.
  for (const key of toCopy) {
    try {
      const st = lstatSync(pathOf(to, key), { bigint: true });
      now.set(key, entryOf(st, st.isFile() ? 'f' : st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : 'o'));
    } catch {
      now.delete(key);
    }
  }
  return { files: now.size, totalBytes, addedBytes, changed: changes.length, code: r.code, stderr: r.stderr, walked: now, pending: { basis, to, links, dirs } };
}

/**
 * Link the unchanged entries from the basis and settle the directories. Idempotent (a link already there is
 * skipped), so a journal can replay it. A file linked into too many checkpoints (EMLINK) is copied from the basis
 * by rsync, attributes and all.
 */
export async function completeTree(p: PendingTree): Promise<void> {
  const copy: string[] = [];
  for (const key of p.links) {
    try {
      linkSync(pathOf(p.basis, key), pathOf(p.to, key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') copy.push(key);
    }
  }
  const r = await rsyncListed(p.basis, p.to, copy);
  if (r.code !== 0) throw new Error(`completing a checkpoint failed (rsync ${r.code}): ${r.stderr.trim().split('\n').slice(-2).join(' / ')}`);
  for (const [key, uid, gid, mode, mtimeNs] of [...p.dirs].reverse()) settleDirectory(key ? pathOf(p.to, key) : Buffer.from(p.to), uid, gid, mode, mtimeNs);
}
