// file_import's sandbox side: host files (already held to the allowed folders by host-source.ts) are written
// into the workspace through the daemon's `write` op, so they land owned by the sandbox user and the daemon
// checks containment once more against the real filesystem (a symlinked workspace folder cannot lead out).
// Nothing is overwritten unless asked: existing files are found before anything is written, and every write
// is exclusive too (a file that appears meanwhile is not replaced). If a write fails part-way, the files this
// call created are removed again, and the error says what was overwritten (if anything).
import { promises as fsp } from 'node:fs';
import { posix } from 'node:path';
import { DaemonRequestError, displayPath, type FileEntry } from '@suna/sandbox';
import { quotePath } from '@suna/shared';
import { ToolError } from '../errors.js';
import type { ToolContext } from '../tool-context.js';
import { eachWithLimit } from './pool.js';
import { IMPORT_LIMITS, readHostFile, walkHostFolder, type HostFile, type HostSource, type ImportLimits } from './host-source.js';

export interface ImportResult {
  /** Workspace-relative path of what was created or updated. */
  path: string;
  type: 'file' | 'dir';
  files: string[];
  bytes: number;
  overwritten: string[];
  skipped: string[];
}

type ImportContext = Pick<ToolContext, 'sandbox' | 'signal' | 'progress'>;

async function statIn(ctx: ImportContext, absolute: string) {
  return ctx.sandbox.call('stat', { path: absolute }, { signal: ctx.signal, timeoutMs: 15_000 });
}

/** What already exists under the folder `absolute` in the workspace, by relative path. */
async function existingUnder(ctx: ImportContext, absolute: string, limits: ImportLimits): Promise<Map<string, FileEntry['type']>> {
  const r = await ctx.sandbox.call('listdir', { path: absolute, depth: limits.maxDepth + 1, maxEntries: limits.maxEntries * 10, respectIgnore: false }, { signal: ctx.signal, timeoutMs: 120_000 });
  const entries = Array.isArray(r?.entries) ? r.entries : [];
  return new Map(entries.filter((e) => typeof e?.path === 'string').map((e) => [e.path, e.type]));
}

/** Files above this go one at a time (each is held in memory, base64 and all, while it is written). */
const SMALL_FILE_BYTES = 1024 * 1024;

/** Writes `files` (host file → absolute workspace path), small ones a few at once; on a failure removes what it created and throws. */
async function writeAll(ctx: ImportContext, source: HostSource, files: Array<{ file: HostFile; target: string }>, overwrite: boolean, limits: ImportLimits) {
  const created: string[] = [];
  const overwritten: string[] = [];
  let bytes = 0;
  let current = '';
  let done = 0;
  try {
    const write = async ({ file, target }: { file: HostFile; target: string }) => {
      try {
        const data = await readHostFile(source.root, file.path, limits.maxFileBytes);
        const r = await ctx.sandbox.call(
          'write',
          { path: target, data: data.toString('base64'), mkdirs: true, mode: file.executable ? 0o755 : 0o644, exclusive: !overwrite },
          { signal: ctx.signal, timeoutMs: 120_000 },
        );
        (r?.created === false ? overwritten : created).push(target);
        bytes += data.length;
      } catch (err) {
        current ||= displayPath(target);
        throw err;
      }
      done++;
      void ctx.progress(done, files.length, `imported ${done} of ${files.length} files`);
    };
    await eachWithLimit(files.filter((f) => f.file.size <= SMALL_FILE_BYTES), ctx.signal, write);
    await eachWithLimit(files.filter((f) => f.file.size > SMALL_FILE_BYTES), ctx.signal, write, 1);
  } catch (err) {
    for (const p of created) await ctx.sandbox.call('remove', { path: p }, { timeoutMs: 30_000 }).catch(() => {});
    const why =
      err instanceof DaemonRequestError && err.code === 'EEXIST' ? `${quotePath(current)} appeared in the workspace meanwhile and was not replaced`
      : err instanceof ToolError || err instanceof DaemonRequestError ? `${quotePath(current)}: ${err.message}`
      : `${quotePath(current)} could not be read on the host (${(err as NodeJS.ErrnoException)?.code ?? 'error'})`;
    const undone = created.length ? `the ${created.length === 1 ? 'file' : `${created.length} files`} it had created ${created.length === 1 ? 'was' : 'were'} removed again` : 'it had created no file';
    const replaced = overwritten.length ? `; ${overwritten.length} existing files had already been overwritten (${overwritten.slice(0, 10).map(displayPath).join(', ')})` : '';
    throw new ToolError(`import stopped at ${why}; ${undone}${replaced}`);
  }
  return { files: [...created, ...overwritten].map(displayPath).sort(), overwritten: overwritten.map(displayPath), bytes };
}

/**
 * Copy the host file or folder `source` to `destination` in the workspace. A file whose destination is an
 * existing folder goes inside it; a folder is merged into an existing folder, file by file.
 */
export async function importIntoSandbox(ctx: ImportContext, source: HostSource, destination: string, opts: { overwrite?: boolean; limits?: ImportLimits } = {}): Promise<ImportResult> {
  const limits = opts.limits ?? IMPORT_LIMITS;
  const overwrite = opts.overwrite === true;
  const pass = 'pass overwrite: true to replace it, or choose another path';

  if (source.type === 'file') {
    const { mode, size } = await fsp.lstat(source.path);
    if (size > limits.maxFileBytes) throw new ToolError(`${quotePath(source.name)} is ${Math.round(size / 1048576)} MB, over the ${limits.maxFileBytes / 1048576} MB per-file import limit; nothing was imported`);
    let target = destination;
    let st = await statIn(ctx, target);
    if (st?.type === 'dir') {
      target = posix.join(destination, source.name);
      st = await statIn(ctx, target);
    }
    if (st?.type === 'dir') throw new ToolError(`${displayPath(target)} is a folder in the workspace; choose another path`);
    if (st && !overwrite) throw new ToolError(`${displayPath(target)} already exists in the workspace; ${pass}`);
    const file: HostFile = { rel: source.name, path: source.path, size, executable: (mode & 0o111) !== 0 };
    const r = await writeAll(ctx, source, [{ file, target }], overwrite, limits);
    return { path: displayPath(target), type: 'file', skipped: [], ...r };
  }

  const tree = await walkHostFolder(source, limits);
  const st = await statIn(ctx, destination);
  if (st && st.type !== 'dir') throw new ToolError(`${displayPath(destination)} is a file in the workspace, not a folder; choose another path`);
  if (st) {
    const existing = await existingUnder(ctx, destination, limits);
    const clash = [...tree.dirs.filter((d) => existing.has(d) && existing.get(d) !== 'dir'), ...tree.files.filter((f) => existing.get(f.rel) === 'dir').map((f) => f.rel)];
    if (clash.length) throw new ToolError(`a file and a folder would take the same place in ${displayPath(destination)}: ${clash.slice(0, 10).join(', ')}; nothing was imported`);
    const taken = tree.files.filter((f) => existing.has(f.rel)).map((f) => f.rel);
    if (taken.length && !overwrite)
      throw new ToolError(`${taken.length} files already exist in ${displayPath(destination)} (${taken.slice(0, 10).join(', ')}${taken.length > 10 ? ', …' : ''}); nothing was imported. ${pass}`);
  }
  for (const d of ['', ...tree.dirs]) await ctx.sandbox.call('mkdir', { path: d ? posix.join(destination, d) : destination }, { signal: ctx.signal, timeoutMs: 30_000 });
  const r = await writeAll(ctx, source, tree.files.map((file) => ({ file, target: posix.join(destination, file.rel) })), overwrite, limits);
  return { path: displayPath(destination), type: 'dir', skipped: tree.skipped, ...r };
}
