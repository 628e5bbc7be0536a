// A checkpoint after the first one, without making rsync re-examine every file. Why: with --link-dest rsync pays,
// per unchanged file, a round trip between its three processes plus a stat of the destination and of the basis
// before the link; on a 5,000-file tree that was about 0.6 s of CPU for one changed file. Here the store program
// walks the agent's tree and the previous checkpoint itself (lstat only: cheap), takes as unchanged what rsync's
// own quick check would (type, size, mtime to the nanosecond, mode, owner, link target: tree.ts `compare`),
// hard-links those from the previous checkpoint, and hands only the changed entries to rsync (--files-from),
// which still does every copy, so modes, owners, nanosecond times, symlinks and specials come out as before.
// Directories are made here and get their owner, mode and times last (entries written into them move their mtime).
// The trees stay plain hard-link trees, exactly what --link-dest made: restore and diff are unchanged.
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, utimesSync } from 'node:fs';
import { compare, walk, type Entry } from './tree.js';

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
}

const SLASH = Buffer.from('/');
const pathOf = (root: string, key: string) => Buffer.concat([Buffer.from(root), SLASH, Buffer.from(key, 'latin1')]);

/**
 * rsync of the listed entries only (NUL-separated raw names on stdin), nothing itemized: we already know what
 * changed. --no-implied-dirs: the parents are the directories made here, and rsync must never replace one (by a
 * symlink raced into the agent's tree) and then write through it; only the listed names are rsync's to write.
 */
function rsyncListed(from: string, to: string, keys: string[]): Promise<{ code: number; stderr: string }> {
  if (!keys.length) return Promise.resolve({ code: 0, stderr: '' });
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/rsync', ['-a', '--numeric-ids', '--no-implied-dirs', '--from0', '--files-from=-', '--', `${from}/`, `${to}/`], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stderr }));
    child.stdin.on('error', () => {}); // rsync gone early: its exit code says why
    child.stdin.end(Buffer.concat(keys.flatMap((k) => [Buffer.from(k, 'latin1'), Buffer.alloc(1)])));
  });
}

/** Directory owner, mode and times as in the agent's tree (after everything was written into them). */
function settleDirectory(path: Buffer, e: Entry): void {
  chownSync(path, e.uid, e.gid);
  chmodSync(path, e.mode);
  const mtime = Number(e.mtimeNs) / 1e9;
  utimesSync(path, mtime, mtime);
}

/**
 * Build checkpoint tree `to` from the agent's tree `from` (read-only) and the previous checkpoint's tree `basis`.
 * `known`: the walk that built `basis` (kept by the long-running program), which saves walking it again. It may
 * only err towards copying more: an entry that changed between that walk and its copy differs from the agent's
 * tree now and is copied again; one that vanished is not in `basis`, its link fails and rsync is asked instead.
 * Throws when a walk is refused (too many entries, too deep): the caller then falls back to plain rsync.
 */
export async function incrementalCopy(from: string, basis: string, to: string, excludes: readonly string[], known?: Map<string, Entry>): Promise<IncrementalResult> {
  const before = known ?? walk(basis);
  const now = walk(from, excludes);
  const changes = compare(basis, before, from, now, false);
  const changedKeys = new Set(changes.map((c) => c.key));
  const toCopy: string[] = [];
  let totalBytes = 0;
  let addedBytes = 0;
  const rootEntry = walkRoot(from);
  mkdirSync(to, { recursive: true, mode: 0o700 });
  // Map order is the walk's: a directory comes before its entries.
  for (const [key, e] of now) {
    if (e.type === 'f') totalBytes += Number(e.size);
    if (e.type === 'd') {
      mkdirSync(pathOf(to, key), { mode: 0o700 });
      continue;
    }
    if (!changedKeys.has(key)) {
      try {
        linkSync(pathOf(basis, key), pathOf(to, key));
        continue;
      } catch {
        /* EMLINK (a file linked into too many checkpoints) or gone: copied instead */
      }
    }
    toCopy.push(key);
    if (e.type === 'f') addedBytes += Number(e.size);
  }
  const r = await rsyncListed(from, to, toCopy);
  const dirs = [...now].filter(([, e]) => e.type === 'd');
  for (const [key, e] of dirs.reverse()) settleDirectory(pathOf(to, key), e);
  if (rootEntry) settleDirectory(Buffer.from(to), rootEntry);
  return { files: now.size, totalBytes, addedBytes, changed: changes.length, code: r.code, stderr: r.stderr, walked: now };
}

/** The tree's root itself (its owner, mode and time are part of the checkpoint, as with rsync's "./"). */
function walkRoot(root: string): Entry | undefined {
  try {
    const st = lstatSync(root, { bigint: true });
    if (!st.isDirectory()) return undefined;
    return { type: 'd', ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, mode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid) };
  } catch {
    return undefined;
  }
}
