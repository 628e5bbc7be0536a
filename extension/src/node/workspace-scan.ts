// Lists the files the sync covers: everything .gitignore does not exclude (git-tracked files always), by
// walking the folder with the `ignore` rules and, when the folder is a git repository, adding what
// `git ls-files` says is tracked (asked while the walk runs). Each folder's entries are described with
// synchronous lstat calls (one folder at a time, a turn of the event loop between folders): for thousands of small
// files the promise API costs several times the system calls themselves. Reads and hashes with Node's fs; writes
// go elsewhere.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants, existsSync, lstatSync, readlinkSync, promises as fsp } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { IgnoreRules } from '../common/ignore-rules.js';
import { isSyncablePath } from '@suna/shared/boundary/sandbox-path';

export interface ScannedFile {
  size: number;
  type: 'file' | 'symlink';
  target?: string;
  /** Permission bits (the executable bit is what matters). */
  mode?: number;
}

export interface ScanResult {
  files: Map<string, ScannedFile>;
  rules: IgnoreRules;
}

export const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

/** Reads the .gitignore of `dir` (relative, '' = root) into `rules`; true when there was one. */
export async function loadGitignore(root: string, dir: string, rules: IgnoreRules): Promise<boolean> {
  rules.remove(dir);
  const text = await fsp.readFile(join(root, dir, '.gitignore'), 'utf8').catch(() => null);
  if (text === null) return false;
  rules.add(dir, text);
  return true;
}

export async function scanWorkspace(root: string, extraExcludes: string[] = [], opts: { maxEntries?: number } = {}): Promise<ScanResult> {
  const rules = new IgnoreRules(extraExcludes);
  const files = new Map<string, ScannedFile>();
  const maxEntries = opts.maxEntries ?? 200_000;
  const tracked = gitTracked(root);
  const walk = async (dir: string): Promise<void> => {
    const entries = await fsp.readdir(join(root, dir), { withFileTypes: true }).catch(() => []);
    // Only a folder that has one is asked (a failed open per folder costs more than the listing).
    if (entries.some((e) => e.name === '.gitignore')) await loadGitignore(root, dir, rules);
    const subdirs: string[] = [];
    for (const e of entries) {
      if (files.size >= maxEntries) break;
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!rules.isIgnored(rel, true)) subdirs.push(rel);
      } else if ((e.isFile() || e.isSymbolicLink()) && !rules.isIgnored(rel)) {
        const entry = describeNow(root, rel);
        if (entry) files.set(rel, entry);
      }
    }
    for (const d of subdirs.sort()) await walk(d);
  };
  await walk('');
  for (const rel of await tracked) {
    if (files.has(rel) || !isSyncablePath(rel)) continue;
    const entry = await describe(root, rel);
    if (entry) files.set(rel, entry);
  }
  return { files, rules };
}

/** Size and type of one path, or null when it is gone or not a file / symlink. */
export async function describe(root: string, rel: string): Promise<ScannedFile | null> {
  const st = await fsp.lstat(join(root, rel)).catch(() => null);
  if (!st) return null;
  if (st.isSymbolicLink()) {
    const target = await fsp.readlink(join(root, rel)).catch(() => null);
    return target === null ? null : { size: Buffer.byteLength(target), type: 'symlink', target };
  }
  return st.isFile() ? { size: st.size, type: 'file', mode: st.mode & 0o777 } : null;
}

/** describe(), synchronously (the scan's many small lstat calls). */
function describeNow(root: string, rel: string): ScannedFile | null {
  try {
    const st = lstatSync(join(root, rel));
    if (st.isSymbolicLink()) {
      const target = readlinkSync(join(root, rel));
      return { size: Buffer.byteLength(target), type: 'symlink', target };
    }
    return st.isFile() ? { size: st.size, type: 'file', mode: st.mode & 0o777 } : null;
  } catch {
    return null; // gone since the folder was listed
  }
}

/** Reads the bytes the sync compares: a file's content, or a symlink's target string. */
export async function readEntry(root: string, rel: string, entry: ScannedFile): Promise<Buffer | null> {
  if (entry.type === 'symlink') return Buffer.from(entry.target ?? '');
  // Not followed when it became a symlink since the scan: its target may be outside the workspace (O_NOFOLLOW).
  const file = await fsp.open(join(root, rel), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => null);
  if (!file) return null;
  try {
    return (await file.stat()).isFile() ? await file.readFile() : null;
  } catch {
    return null;
  } finally {
    await file.close().catch(() => {});
  }
}

/** Paths git tracks (possibly ignored by a pattern added later); empty when this is no git repository. */
function gitTracked(root: string): Promise<string[]> {
  // No repository here or above (and none named by GIT_DIR): no git process (spawning one costs tens of ms of CPU).
  if (!process.env.GIT_DIR && !insideRepository(root)) return Promise.resolve([]);
  return new Promise((resolve) => {
    execFile('git', ['-c', 'core.quotepath=off', 'ls-files', '-z', '--cached'], { cwd: root, maxBuffer: 64 * 1024 * 1024, timeout: 20_000 }, (err, stdout) => {
      resolve(err ? [] : stdout.split('\0').filter(Boolean));
    });
  });
}

/** Whether `dir` or a folder above it has a `.git` (folder, or file for a worktree / submodule). */
function insideRepository(dir: string): boolean {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(join(d, '.git'))) return true;
    if (dirname(d) === d) return false;
  }
}
