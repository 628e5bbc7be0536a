// The only way host code writes content that came out of the sandbox (a deployed site, the extension's
// pull-back). The name is validated (sandbox-path.ts); parents are created one component at a time and
// lstat-checked, so a symlink anywhere on the way (`ext → /outside`) fails closed instead of being
// followed; the file is written to a fresh temp file (O_EXCL | O_NOFOLLOW) and renamed over the final
// name, which replaces a symlink there rather than writing through it. Nothing is written outside `root`.
//
// Threat model: the sandbox chooses names and bytes but cannot touch the host's file system itself, so it
// cannot race these checks. A local process that can could still swap a folder between the check and the
// rename; the checks are repeated right before the rename to make that window small.
import { randomBytes } from 'node:crypto';
import { constants, promises as fsp, type Stats } from 'node:fs';
import { join } from 'node:path';
import { assertSandboxPath, quotePath } from './sandbox-path.js';

/** Default cap on one file written from sandbox content. */
export const DEFAULT_MAX_WRITE_BYTES = 128 * 1024 * 1024;

export type UnsafeWriteCode = 'SYMLINK_IN_PATH' | 'NOT_A_DIRECTORY' | 'IS_A_DIRECTORY' | 'TOO_LARGE' | 'NO_ROOT';

/** A write refused because it would follow a symlink, replace a folder, or exceed a cap. Names only the relative path. */
export class UnsafeWriteError extends Error {
  override readonly name = 'UnsafeWriteError';
  constructor(
    readonly code: UnsafeWriteCode,
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

export interface SafeWriteOptions {
  /** Executable bit wanted (0o755); otherwise 0o644. Other mode bits from the sandbox are never applied. */
  executable?: boolean;
  maxBytes?: number;
  /** fsync before the rename (crash safety for a user's workspace; a staging folder can skip it). */
  durable?: boolean;
}

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0; // absent on Windows, where the lstat walk is the guard

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException)?.code === 'ENOENT';

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await fsp.lstat(path);
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

async function rootDir(root: string): Promise<string> {
  const st = await fsp.stat(root).catch(() => null);
  if (!st?.isDirectory()) throw new UnsafeWriteError('NO_ROOT', '', 'the destination folder does not exist');
  return root;
}

/**
 * Walks the folders of `segments` below `root` (the root itself is trusted), refusing a symlink or a
 * non-folder at any of them. Missing folders are created when `create`, else the walk stops: returns the
 * last folder's absolute path, or null when one is missing.
 */
async function walkFolders(root: string, segments: string[], create: boolean): Promise<string | null> {
  let dir = root;
  for (let i = 0; i < segments.length; i++) {
    dir = join(dir, segments[i]!);
    let st = await lstatOrNull(dir);
    if (!st) {
      if (!create) return null;
      await fsp.mkdir(dir).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
      st = await fsp.lstat(dir);
    }
    const shown = segments.slice(0, i + 1).join('/');
    if (st.isSymbolicLink()) throw new UnsafeWriteError('SYMLINK_IN_PATH', shown, `${quotePath(shown)} is a symlink: nothing is written through it`);
    if (!st.isDirectory()) throw new UnsafeWriteError('NOT_A_DIRECTORY', shown, `${quotePath(shown)} is a file, not a folder`);
  }
  return dir;
}

/**
 * Checks that no existing component of `rel` under `root` is a symlink (the final one may be when
 * `allowFinalSymlink`: removing a symlink does not follow it). For writers that cannot use safeWriteFile
 * (VS Code's workspace API): call it right before the write.
 */
export async function assertNoSymlinkOnPath(root: string, rel: string, opts: { allowFinalSymlink?: boolean } = {}): Promise<void> {
  assertSandboxPath(rel);
  const segments = rel.split('/');
  const dir = await walkFolders(await rootDir(root), segments.slice(0, -1), false);
  if (dir === null) return;
  const st = await lstatOrNull(join(dir, segments.at(-1)!));
  if (st?.isSymbolicLink() && !opts.allowFinalSymlink) throw new UnsafeWriteError('SYMLINK_IN_PATH', rel, `${quotePath(rel)} is a symlink: nothing is written through it`);
}

const tooLarge = (rel: string, size: string, max: number) => new UnsafeWriteError('TOO_LARGE', rel, `${quotePath(rel)} is ${size} bytes, over the ${max} byte limit`);

/**
 * Writes `data` at `root/rel` without following any symlink and without leaving `root`; see the file comment.
 * `data` may be a stream of chunks (a large file read from the sandbox piece by piece): `maxBytes` counts
 * the bytes received, and going over it removes the temp file and writes nothing. Returns the bytes written.
 */
export async function safeWriteFile(root: string, rel: string, data: Uint8Array | string | AsyncIterable<Uint8Array>, opts: SafeWriteOptions = {}): Promise<number> {
  assertSandboxPath(rel);
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const max = opts.maxBytes ?? DEFAULT_MAX_WRITE_BYTES;
  if (bytes instanceof Uint8Array && bytes.length > max) throw tooLarge(rel, String(bytes.length), max);
  const base = await rootDir(root);
  const segments = rel.split('/');
  const folders = segments.slice(0, -1);
  const dir = (await walkFolders(base, folders, true))!;
  const target = join(dir, segments.at(-1)!);
  if ((await lstatOrNull(target))?.isDirectory()) throw new UnsafeWriteError('IS_A_DIRECTORY', rel, `${quotePath(rel)} is a folder; it is not replaced by a file`);

  const tmp = join(dir, `.suna-${randomBytes(6).toString('hex')}.tmp`);
  const fh = await fsp.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW, 0o600);
  let written = 0;
  try {
    try {
      if (bytes instanceof Uint8Array) {
        await fh.writeFile(bytes);
        written = bytes.length;
      } else {
        for await (const chunk of bytes) {
          written += chunk.length;
          if (written > max) throw tooLarge(rel, `more than ${max}`, max);
          await fh.write(chunk);
        }
      }
      await fh.chmod(opts.executable ? 0o755 : 0o644);
      if (opts.durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await walkFolders(base, folders, false); // the folders are still real folders (no swap since the walk)
    await fsp.rename(tmp, target);
  } catch (err) {
    await fsp.rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
  return written;
}

/** Creates the folder `root/rel` and its parents, refusing (never following) a symlink or a file on the way. */
export async function safeMkdir(root: string, rel: string): Promise<void> {
  assertSandboxPath(rel);
  await walkFolders(await rootDir(root), rel.split('/'), true);
}

/**
 * Removes the file or symlink at `root/rel` (a symlink itself, never its target); never a folder, never
 * through a symlinked parent. False when there was nothing to remove.
 */
export async function safeRemove(root: string, rel: string): Promise<boolean> {
  assertSandboxPath(rel);
  const segments = rel.split('/');
  const dir = await walkFolders(await rootDir(root), segments.slice(0, -1), false);
  if (dir === null) return false;
  const target = join(dir, segments.at(-1)!);
  const st = await lstatOrNull(target);
  if (!st) return false;
  if (st.isDirectory()) throw new UnsafeWriteError('IS_A_DIRECTORY', rel, `${quotePath(rel)} is a folder; only files are removed`);
  try {
    await fsp.unlink(target);
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
  return true;
}
