// file_import's host side: which host files the model may copy into the sandbox. The path comes from the
// model, so it is held to the allowed folders (--import-dirs) as strictly as sandbox paths are held to
// /workspace: no `..` at all, the real path inside an allowed root, every component below the root lstat'ed
// (a symlink anywhere below the root is refused, never followed), and inside a folder symlinks are skipped
// with a notice. Files are opened with O_NOFOLLOW, must still be regular files of the size the walk saw (a
// FIFO swapped in cannot block the server), and on Linux the opened file's real path is checked once more.
// The allowed roots themselves are the user's configuration and are trusted (they may be symlinks).
import { constants, promises as fsp } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { quotePath, sandboxPathProblem } from '@suna/shared';
import { ToolError } from '../errors.js';

const MiB = 1024 * 1024;

export interface ImportLimits {
  /** One file travels to the daemon as one base64 message. */
  maxFileBytes: number;
  maxTotalBytes: number;
  maxEntries: number;
  maxDepth: number;
}

export const IMPORT_LIMITS: ImportLimits = { maxFileBytes: 64 * MiB, maxTotalBytes: 256 * MiB, maxEntries: 10_000, maxDepth: 64 };

export interface HostSource {
  /** The real path of the allowed root it is in. */
  root: string;
  /** Its real path. */
  path: string;
  /** Its name (the last component), or the root's name when it is the root. */
  name: string;
  type: 'file' | 'dir';
}

export interface HostFile {
  /** Relative to the imported folder, forward slashes. */
  rel: string;
  path: string;
  size: number;
  executable: boolean;
}

export interface HostTree {
  files: HostFile[];
  /** Every folder, relative, parents first (so empty folders arrive too). */
  dirs: string[];
  bytes: number;
  skipped: string[];
}

const mb = (n: number) => `${Math.round(n / MiB)} MB`;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function isInside(root: string, p: string): boolean {
  return p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Where `input` (absolute, `~/…`, or relative to the first allowed folder) is, if it is inside an allowed
 * folder and reached without a symlink; otherwise a ToolError that says where files may come from.
 */
export async function resolveImportSource(input: string, allowedDirs: string[]): Promise<HostSource> {
  return findSource(input, allowedDirs).catch((err: unknown) => Promise.reject(hostReadError(err, input)));
}

/** A host file system failure as a ToolError naming the path the model gave and the error code only. */
function hostReadError(err: unknown, shown: string): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  return err instanceof ToolError || !code ? err : new ToolError(`${quotePath(shown)} could not be read on the host (${code}); nothing was imported`);
}

async function findSource(input: string, allowedDirs: string[]): Promise<HostSource> {
  if (input.trim() === '') throw new ToolError('host_path is empty; give the path of a file or folder on this computer');
  if (input.length > 4096 || CONTROL.test(input)) throw new ToolError('host_path is too long or contains control characters');
  if (input.split(/[\\/]/).includes('..')) throw new ToolError(`host_path ${quotePath(input)} contains ".."; give the plain path of a file inside ${allowedList(allowedDirs)}`);
  const expanded = input === '~' ? homedir() : input.startsWith('~/') ? join(homedir(), input.slice(2)) : input;
  const wanted = isAbsolute(expanded) ? resolve(expanded) : resolve(allowedDirs[0] ?? '', expanded);

  for (const dir of allowedDirs) {
    const lexical = resolve(dir);
    const real = await fsp.realpath(lexical).catch(() => null);
    if (!real) continue;
    const base = isInside(lexical, wanted) ? lexical : isInside(real, wanted) ? real : null;
    if (base === null) continue;
    const segments = relative(base, wanted).split(sep).filter(Boolean);
    let current = real;
    let st = await fsp.lstat(current);
    for (let i = 0; i < segments.length; i++) {
      current = join(current, segments[i]!);
      const shown = segments.slice(0, i + 1).join('/');
      const next = await fsp.lstat(current).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' || err.code === 'ENOTDIR' ? null : Promise.reject(err)));
      if (!next) throw new ToolError(`${quotePath(shown)} does not exist in ${real}`);
      if (next.isSymbolicLink()) throw new ToolError(`${quotePath(shown)} in ${real} is a symlink; file_import follows no symlinks. Copy the file itself into ${real}`);
      if (i < segments.length - 1 && !next.isDirectory()) throw new ToolError(`${quotePath(shown)} in ${real} is not a folder`);
      st = next;
    }
    if (!st.isFile() && !st.isDirectory()) throw new ToolError(`${quotePath(input)} is not a regular file or folder`);
    // Belt and braces: the walk saw no symlink, so the real path is the walked one, inside the real root.
    const resolved = await fsp.realpath(current);
    if (!isInside(real, resolved)) throw new ToolError(`${quotePath(input)} leads outside ${real}; nothing was imported`);
    return { root: real, path: resolved, name: segments.at(-1) ?? real.split(sep).filter(Boolean).at(-1) ?? 'import', type: st.isDirectory() ? 'dir' : 'file' };
  }
  const missing = allowedDirs.map((d) => resolve(d)).find((d) => isInside(d, wanted));
  if (missing) throw new ToolError(`${quotePath(input)} does not exist: the folder ${missing} does not exist yet. Ask the user to create it and put the file there`);
  throw new ToolError(`${quotePath(input)} is outside the folders file_import may read (${allowedList(allowedDirs)}). Ask the user to put the file there, or to start the server with --import-dirs`);
}

function allowedList(dirs: string[]): string {
  return dirs.length ? dirs.join(', ') : '(none configured)';
}

/**
 * Every regular file and folder under `source` (a folder), by an lstat walk that never follows a symlink:
 * symlinks, special files and names the sandbox cannot hold are skipped with a notice; the caps refuse the
 * whole import before anything is read.
 */
export async function walkHostFolder(source: HostSource, limits: ImportLimits = IMPORT_LIMITS): Promise<HostTree> {
  const tree: HostTree = { files: [], dirs: [], bytes: 0, skipped: [] };
  const walk = async (dir: string, rel: string, depth: number): Promise<void> => {
    if (depth > limits.maxDepth) throw new ToolError(`${quotePath(rel)} is nested more than ${limits.maxDepth} folders deep; nothing was imported`);
    const entries = await fsp.readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of entries) {
      const childRel = rel ? `${rel}/${d.name}` : d.name;
      const problem = sandboxPathProblem(childRel);
      if (problem) {
        tree.skipped.push(`${quotePath(childRel)} (name not accepted: ${problem})`);
        continue;
      }
      if (tree.files.length + tree.dirs.length >= limits.maxEntries)
        throw new ToolError(`${quotePath(source.name)} has more than ${limits.maxEntries.toLocaleString('en-US')} entries; import a smaller folder (or an archive, unpacked with shell_exec)`);
      const full = join(dir, d.name);
      if (d.isSymbolicLink()) tree.skipped.push(`${childRel} (symlink, not followed)`);
      else if (d.isDirectory()) {
        tree.dirs.push(childRel);
        await walk(full, childRel, depth + 1);
      } else if (d.isFile()) {
        const st = await fsp.lstat(full);
        if (!st.isFile()) {
          tree.skipped.push(`${childRel} (changed while listing)`);
          continue;
        }
        if (st.size > limits.maxFileBytes) throw new ToolError(`${quotePath(childRel)} is ${mb(st.size)}, over the ${mb(limits.maxFileBytes)} per-file import limit; nothing was imported`);
        tree.bytes += st.size;
        if (tree.bytes > limits.maxTotalBytes) throw new ToolError(`${quotePath(source.name)} holds more than ${mb(limits.maxTotalBytes)}, the import limit; import a smaller folder. Nothing was imported`);
        tree.files.push({ rel: childRel, path: full, size: st.size, executable: (st.mode & 0o111) !== 0 });
      } else tree.skipped.push(`${childRel} (not a regular file)`);
    }
  };
  await walk(source.path, '', 0).catch((err: unknown) => Promise.reject(hostReadError(err, source.name)));
  return tree;
}

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

/**
 * The bytes of one host file under `root`: opened without following a symlink and without blocking, a
 * regular file within `maxBytes`, and (Linux) really inside `root` as opened.
 */
export async function readHostFile(root: string, path: string, maxBytes: number): Promise<Buffer> {
  const fh = await fsp.open(path, constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new ToolError(`${quotePath(relative(root, path))} is no longer a regular file; nothing more was imported`);
    if (process.platform === 'linux') {
      const opened = await fsp.readlink(`/proc/self/fd/${fh.fd}`).catch(() => null);
      if (opened !== null && !isInside(root, opened)) throw new ToolError(`${quotePath(relative(root, path))} was moved outside the allowed folder while importing; nothing more was imported`);
    }
    const expected = Math.min(st.size, maxBytes);
    const buf = Buffer.alloc(expected + 1);
    let length = 0;
    while (length < buf.length) {
      const { bytesRead } = await fh.read(buf, length, buf.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (st.size > maxBytes || length > expected) throw new ToolError(`${quotePath(relative(root, path))} changed size while importing or is over the ${mb(maxBytes)} per-file import limit; nothing more was imported`);
    return buf.subarray(0, length);
  } finally {
    await fh.close();
  }
}
