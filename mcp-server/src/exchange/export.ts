// file_export's domain: copy a workspace file or folder to the host exchange folder. Everything here comes
// out of the sandbox (the file list, the names, the bytes) and is treated as hostile: each name passes the
// boundary rule (shared/src/boundary), every byte is written by the boundary's safe writer, sizes are capped
// on what is received (not on what the list claims), symlinks in the sandbox tree are skipped with a notice
// and never recreated on the host. The copy is staged in a hidden folder next to its destination and moved
// into place only when complete, so a failure leaves nothing half-written.
import { randomBytes } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { join, posix } from 'node:path';
import { DaemonRequestError, displayPath, WORKSPACE_ROOT, type FileEntry } from '@suna/sandbox';
import { quotePath, safeMkdir, safeWriteFile, SandboxPathError, sandboxPathProblem, UnsafeWriteError } from '@suna/shared';
import { ToolError } from '../errors.js';
import type { ToolContext } from '../tool-context.js';
import { eachWithLimit } from './pool.js';

const MiB = 1024 * 1024;

export interface ExportLimits {
  maxFileBytes: number;
  maxTotalBytes: number;
  maxEntries: number;
  /** Bytes asked of the daemon per read (each travels as one base64 message). */
  chunkBytes: number;
}

export const EXPORT_LIMITS: ExportLimits = { maxFileBytes: 128 * MiB, maxTotalBytes: 512 * MiB, maxEntries: 10_000, chunkBytes: 4 * MiB };

export interface ExportResult {
  /** Absolute host path of the copy. */
  hostPath: string;
  type: 'file' | 'dir';
  /** Workspace-relative paths of the files copied. */
  files: string[];
  bytes: number;
  /** What was left out and why (symlinks, special files, refused names). */
  skipped: string[];
}

type ExportContext = Pick<ToolContext, 'sandbox' | 'signal' | 'progress'>;

const mb = (n: number) => `${Math.round(n / MiB)} MB`;

/** Host file system failures, by code only: the message names no host path beyond the exchange folder. */
function hostError(err: unknown, what: string): Error {
  if (err instanceof ToolError) return err;
  if (err instanceof SandboxPathError || err instanceof UnsafeWriteError) return new ToolError(`${err.message}; ${what}`);
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code) return new ToolError(`the host refused the write (${code}); ${what}`);
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * The file's bytes, read from the sandbox `chunkBytes` at a time. Bounded whatever the daemon answers: never
 * more chunks than the cap allows, never a chunk larger than asked for, and `budget` counts every byte across
 * the whole export.
 */
async function* sandboxFileChunks(ctx: ExportContext, absolute: string, limits: ExportLimits, budget: { left: number }, onChunk?: (received: number) => void): AsyncGenerator<Buffer> {
  let offset = 0;
  const maxCalls = Math.ceil(limits.maxFileBytes / limits.chunkBytes) + 1;
  for (let call = 0; call < maxCalls; call++) {
    const r = await ctx.sandbox.call('read', { path: absolute, maxBytes: limits.chunkBytes, offset }, { signal: ctx.signal, timeoutMs: 60_000 });
    const data = Buffer.from(typeof r?.data === 'string' ? r.data : '', 'base64');
    if (data.length > limits.chunkBytes) throw new ToolError(`the sandbox answered a read of ${quotePath(displayPath(absolute))} with more data than asked for; nothing was exported`);
    budget.left -= data.length;
    if (budget.left < 0) throw new ToolError(`the export is over the ${mb(limits.maxTotalBytes)} total limit; export a smaller folder. Nothing was exported`);
    if (data.length) yield data;
    offset += data.length;
    onChunk?.(offset);
    if (r?.truncated !== true) return;
    if (!data.length) break;
  }
  throw new ToolError(`${quotePath(displayPath(absolute))} did not come out of the sandbox whole (over ${mb(limits.maxFileBytes)}, or the sandbox stopped sending); nothing was exported`);
}

/** The entries of a daemon listdir answer that have the right shape; the names are checked by the caller. */
function listedEntries(answer: unknown): FileEntry[] {
  const entries = (answer as { entries?: unknown } | null)?.entries;
  if (!Array.isArray(entries)) return [];
  return entries.filter((e): e is FileEntry => typeof e === 'object' && e !== null && ['file', 'dir', 'symlink', 'other'].includes((e as FileEntry).type));
}

/** Copy the folder `absDir` into `staging/name`; returns the files copied and what was skipped. */
async function stageFolder(ctx: ExportContext, absDir: string, staging: string, name: string, limits: ExportLimits): Promise<Omit<ExportResult, 'hostPath' | 'type'>> {
  const shown = displayPath(absDir);
  const answer = await ctx.sandbox.call('listdir', { path: absDir, depth: 64, maxEntries: limits.maxEntries + 1, respectIgnore: false }, { signal: ctx.signal, timeoutMs: 120_000 });
  const listed = listedEntries(answer);
  if (answer?.truncated === true || listed.length > limits.maxEntries) throw new ToolError(`${shown} has more than ${limits.maxEntries.toLocaleString('en-US')} entries; export a smaller folder (or an archive: shell_exec tar czf)`);
  const claimed = listed.reduce((n, e) => n + (e.type === 'file' && Number.isSafeInteger(e.size) && e.size > 0 ? e.size : 0), 0);
  if (claimed > limits.maxTotalBytes) throw new ToolError(`${shown} holds ${mb(claimed)}, over the ${mb(limits.maxTotalBytes)} export limit; export a smaller folder`);
  const big = listed.find((e) => e.type === 'file' && e.size > limits.maxFileBytes);
  if (big) throw new ToolError(`${quotePath(`${shown}/${big.path}`)} is ${mb(big.size)}, over the ${mb(limits.maxFileBytes)} per-file export limit; nothing was exported`);

  await safeMkdir(staging, name);
  const files: string[] = [];
  const skipped: string[] = [];
  const budget = { left: limits.maxTotalBytes };
  let bytes = 0;
  const queue: string[] = [];
  for (const e of listed) {
    const problem = sandboxPathProblem(e.path);
    if (problem) {
      skipped.push(`${quotePath(e.path)} (refused name: ${problem})`);
      continue;
    }
    const workspacePath = posix.join(absDir, e.path);
    if (e.type === 'symlink') skipped.push(`${displayPath(workspacePath)} (symlink, not copied)`);
    else if (e.type === 'other') skipped.push(`${displayPath(workspacePath)} (not a regular file)`);
    else if (e.type === 'file') queue.push(e.path);
    else {
      try {
        await safeMkdir(staging, `${name}/${e.path}`);
      } catch (err) {
        if (!(err instanceof UnsafeWriteError)) throw err;
        skipped.push(`${displayPath(workspacePath)} (${err.message})`);
      }
    }
  }
  // Files are copied a few at once, so a hostile list's file-versus-folder clashes ("a" and "a/b" both files,
  // a name twice) are settled here, before any of them is written, rather than by whichever write lands first.
  const queued = new Set<string>();
  const folders = new Set<string>();
  const clear = queue.filter((rel) => {
    const parents = rel.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'));
    const clash = queued.has(rel) || folders.has(rel) || parents.some((p) => queued.has(p));
    if (clash) skipped.push(`${displayPath(posix.join(absDir, rel))} (another entry of the list takes its place)`);
    else {
      queued.add(rel);
      for (const p of parents) folders.add(p);
    }
    return !clash;
  });
  await eachWithLimit(clear, ctx.signal, async (rel) => {
    const workspacePath = posix.join(absDir, rel);
    try {
      const written = await safeWriteFile(staging, `${name}/${rel}`, sandboxFileChunks(ctx, workspacePath, limits, budget), { maxBytes: limits.maxFileBytes });
      bytes += written; // (not `bytes += await …`: that reads `bytes` before the await, losing the other writers' counts)
    } catch (err) {
      // A name refused on the host side (a file where the list put a folder) is skipped; the rest fails closed.
      if (!(err instanceof UnsafeWriteError) || err.code === 'TOO_LARGE') throw err;
      skipped.push(`${displayPath(workspacePath)} (${err.message})`);
      return;
    }
    files.push(displayPath(workspacePath));
    void ctx.progress(files.length, clear.length, `exported ${files.length} of ${clear.length} files`);
  });
  files.sort();
  return { files, bytes, skipped };
}

/** Is `absolute` itself a symlink in the sandbox? (stat and listdir follow one that stays inside.) */
async function isSymlinkInSandbox(ctx: ExportContext, absolute: string): Promise<boolean> {
  if (absolute === WORKSPACE_ROOT) return false;
  const r = await ctx.sandbox.exec({ argv: ['test', '-L', absolute], cwd: WORKSPACE_ROOT, timeoutMs: 15_000, capBytes: 1024 }, ctx.signal);
  return r.exitCode === 0;
}

/** Copy the workspace file or folder `absolute` to `exchangeDir/<its name>`; see the file comment. */
export async function exportToHost(
  ctx: ExportContext,
  absolute: string,
  exchangeDir: string,
  opts: { overwrite?: boolean; limits?: ExportLimits } = {},
): Promise<ExportResult> {
  const limits = opts.limits ?? EXPORT_LIMITS;
  const shown = displayPath(absolute);
  const name = absolute === WORKSPACE_ROOT ? 'workspace' : posix.basename(absolute);
  const nameProblem = sandboxPathProblem(name);
  if (nameProblem) throw new ToolError(`${quotePath(shown)} cannot be copied to the host under its name (${nameProblem}); rename it with file_move first`);

  const st = await ctx.sandbox.call('stat', { path: absolute }, { signal: ctx.signal, timeoutMs: 15_000 });
  if (!st) throw new ToolError(`${shown} does not exist in the workspace (file_list shows what exists)`);
  if (st.type !== 'file' && st.type !== 'dir') throw new ToolError(`${shown} is not a regular file or folder`);
  if (await isSymlinkInSandbox(ctx, absolute)) throw new ToolError(`${shown} is a symlink; symlinks are never copied to the host. Export the file or folder it points to`);
  if (st.type === 'file' && st.size > limits.maxFileBytes) throw new ToolError(`${shown} is ${mb(st.size)}, over the ${mb(limits.maxFileBytes)} per-file export limit`);

  try {
    await fsp.mkdir(exchangeDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw hostError(err, 'the exchange folder could not be created');
  }
  const hostPath = join(exchangeDir, name);
  const existing = await fsp.lstat(hostPath).catch(() => null);
  if (existing && !opts.overwrite) throw new ToolError(`${name} already exists in the exchange folder (${hostPath}); pass overwrite: true to replace it`);
  const existingType = existing?.isDirectory() ? 'dir' : existing ? 'file' : null;
  if (existingType && existingType !== st.type)
    throw new ToolError(`${hostPath} is a ${existingType === 'dir' ? 'folder' : 'file'} and ${shown} is a ${st.type === 'dir' ? 'folder' : 'file'}: it is not replaced. Rename one of them first`);

  const staging = join(exchangeDir, `.suna-export-${randomBytes(6).toString('hex')}`);
  try {
    await fsp.mkdir(staging, { mode: 0o700 });
    let staged: Omit<ExportResult, 'hostPath' | 'type'>;
    try {
      if (st.type === 'file') {
        const budget = { left: limits.maxTotalBytes };
        const executable = Number.isSafeInteger(st.mode) && (st.mode & 0o111) !== 0;
        const bytes = await safeWriteFile(staging, name, sandboxFileChunks(ctx, absolute, limits, budget, (n) => void ctx.progress(n, st.size, `exported ${mb(n)} of ${mb(st.size)}`)), {
          maxBytes: limits.maxFileBytes,
          executable,
        });
        staged = { files: [shown], bytes, skipped: [] };
      } else staged = await stageFolder(ctx, absolute, staging, name, limits);
    } catch (err) {
      if (err instanceof DaemonRequestError) throw new ToolError(`reading ${shown} in the sandbox failed: ${err.message}; nothing was exported`);
      throw hostError(err, 'nothing was exported');
    }
    await moveIntoPlace(staging, name, exchangeDir, st.type, staged.files.length);
    return { hostPath, type: st.type, ...staged };
  } finally {
    await fsp.rm(staging, { recursive: true, force: true }).catch(() => {});
  }
}

/**
 * The staged copy goes into place: one rename when nothing is there (or a file is replaced), or, to overwrite
 * a folder, file by file through the safe writer (same-named files replaced, others kept). A failure part-way
 * through a merge says exactly how far it got.
 */
async function moveIntoPlace(staging: string, name: string, exchangeDir: string, type: 'file' | 'dir', fileCount: number): Promise<void> {
  const target = join(exchangeDir, name);
  const now = await fsp.lstat(target).catch(() => null);
  if (!now || (type === 'file' && !now.isDirectory())) {
    try {
      await fsp.rename(join(staging, name), target);
      return;
    } catch (err) {
      throw hostError(err, 'nothing was exported');
    }
  }
  if (type === 'file' || !now.isDirectory()) throw new ToolError(`${target} changed while exporting; nothing was exported`);
  const written: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const d of await fsp.readdir(join(staging, rel), { withFileTypes: true })) {
      const child = `${rel}/${d.name}`;
      if (d.isDirectory()) {
        await safeMkdir(exchangeDir, child);
        await walk(child);
      } else {
        const executable = ((await fsp.lstat(join(staging, child))).mode & 0o111) !== 0;
        await safeWriteFile(exchangeDir, child, createReadStream(join(staging, child)), { executable });
        written.push(child);
      }
    }
  };
  try {
    await walk(name);
  } catch (err) {
    const done = written.length ? `${written.length} of ${fileCount} files were replaced before it stopped (${written.slice(0, 10).join(', ')}${written.length > 10 ? ', …' : ''})` : 'nothing was replaced';
    throw hostError(err, `merging into ${target} failed; ${done}`);
  }
}
