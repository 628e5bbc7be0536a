// The push half of the sync domain: writes a validated archive into /workspace and deletes paths, shared by the
// workspace_sync_push tool (archive as base64 in MCP) and the local upload channel (upload-channel.ts: the same
// archive, raw). A big archive is extracted by the daemon in one request (its `extract` op re-checks every folder
// on the real filesystem; the tar travels raw); a small or guarded one goes file by file through `write`.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { resolveWorkspacePath, WORKSPACE_ROOT } from '@suna/sandbox';
import { syncPathProblem } from '@suna/shared';
import { SandboxFileError, ToolError } from '../errors.js';
import type { Logger } from '../log.js';
import type { SandboxFacade } from '../sandbox-facade.js';
import { readSyncArchive, SYNC_LIMITS, SyncArchiveError, type ArchiveEntry, type SyncArchive } from './archive.js';

/** What a push needs of the sandbox: the facade bound to one request's signal, and the log. */
export interface SyncIo {
  fs: SandboxFacade['fs'];
  exec: SandboxFacade['exec'];
  signal: AbortSignal;
  log: Logger;
}

export interface PushOutcome {
  /** Entries in the archive. */
  entries: number;
  written: number;
  bytes: number;
  deleted: number;
  mismatched: string[];
  failed: Array<{ path: string; error: string }>;
}

/** The archive, validated; a refusal becomes the model-facing error. */
export async function validated(raw: Buffer): Promise<SyncArchive> {
  try {
    return await readSyncArchive(raw);
  } catch (err) {
    if (err instanceof SyncArchiveError) throw new ToolError(err.message);
    throw err;
  }
}

/** Below this many entries (or with if_match), files go one by one through the daemon: lowest latency. */
const BULK_MIN_ENTRIES = 16;
/** The daemon's own limit on one tar extraction (the host waits that plus the usual grace). */
const EXTRACT_TIMEOUT_MS = 300_000;

/**
 * Bulk path: the daemon checks that every folder the entries pass through resolves inside /workspace (a
 * symlinked folder must not lead out), then GNU tar extracts the validated archive in one go, as the sandbox
 * user, replacing (never following) an existing file or symlink at an entry's path. The daemon gets exactly the
 * bytes validated here, raw (a binary frame, no base64). False when tar failed (e.g. a file where a folder
 * should be): the caller then writes entry by entry.
 */
async function extractInSandbox(io: SyncIo, archive: SyncArchive): Promise<boolean> {
  const r = await io.fs.extract(WORKSPACE_ROOT, archive.tar, { folders: archive.folders, timeoutMs: EXTRACT_TIMEOUT_MS });
  if (r.exitCode !== 0) io.log.warn('sync: tar extraction failed, writing entry by entry', { stderr: r.stderr.slice(0, 500) });
  return r.exitCode === 0;
}

/** Runs `work` over `items` with at most `limit` at once; stops early when `signal` aborts. */
async function pool<T>(items: T[], limit: number, signal: AbortSignal, work: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (i < items.length && !signal.aborted) await work(items[i++]!);
  });
  await Promise.all(runners);
}

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
/** The absolute sandbox path of a workspace-relative sync path (already checked by the sync path rule). */
export const abs = (p: string) => resolveWorkspacePath(p, { allowRoot: false });

export const isMissing = (err: unknown) => err instanceof SandboxFileError && err.code === 'ENOENT';

/** The sandbox's current sha256 of `path`, null when absent. */
async function currentHash(io: SyncIo, path: string): Promise<string | null> {
  try {
    return sha256((await io.fs.read(abs(path), { maxBytes: SYNC_LIMITS.maxEntryBytes })).data);
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

/** Writes `parsed` (already validated) and deletes `remove`, guarded by `ifMatch`; throws ToolError for bad deletes. */
export async function pushValidated(io: SyncIo, parsed: SyncArchive | null, remove: string[], if_match: Record<string, string | null> | undefined): Promise<PushOutcome> {
  const entries: ArchiveEntry[] = parsed?.entries ?? [];
  const badDeletes = remove.map((p) => [p, syncPathProblem(p)] as const).filter(([, why]) => why);
  if (badDeletes.length) throw new ToolError(`delete refused, nothing was written: ${badDeletes.map(([p, why]) => `${JSON.stringify(p)}: ${why}`).join('; ')}`);

  const mismatched: string[] = [];
  const failed: Array<{ path: string; error: string }> = [];
  const guard = if_match ?? {};
  const matches = async (path: string) => {
    if (!Object.hasOwn(guard, path)) return true;
    const ok = (await currentHash(io, path)) === guard[path];
    if (!ok) mismatched.push(path);
    return ok;
  };
  let written = 0;
  let bytes = 0;
  let deleted = 0;
  const bulk = !if_match && parsed !== null && entries.length >= BULK_MIN_ENTRIES && (await extractInSandbox(io, parsed));
  if (bulk) {
    written = entries.length;
    bytes = parsed.bytes;
  }
  await pool(bulk ? [] : entries, SYNC_LIMITS.concurrency, io.signal, async (e) => {
    try {
      if (!(await matches(e.path))) return;
      if (e.type === 'file') {
        await io.fs.write(abs(e.path), e.data!, { mkdirs: true, mode: e.mode });
        bytes += e.data!.length;
      } else {
        const target = abs(e.path);
        await io.fs.mkdir(posix.dirname(target));
        const existing = await io.fs.stat(target).catch(() => null);
        if (existing?.type === 'dir') throw new ToolError('a folder is in the way');
        const r = await io.exec({ argv: ['ln', '-sfn', '--', e.target!, target], timeoutMs: 30_000, capBytes: 4096 });
        if (r.exitCode !== 0) throw new ToolError(r.stderr.head.trim() || `ln exited with ${r.exitCode}`);
      }
      written++;
    } catch (err) {
      failed.push({ path: e.path, error: err instanceof Error ? err.message : String(err) });
    }
  });
  await pool(remove, SYNC_LIMITS.concurrency, io.signal, async (p) => {
    try {
      if (!(await matches(p))) return;
      await io.fs.remove(abs(p));
      deleted++;
    } catch (err) {
      if (isMissing(err)) deleted++;
      else failed.push({ path: p, error: err instanceof Error ? err.message : String(err) });
    }
  });
  if (io.signal.aborted) throw new ToolError(`cancelled after writing ${written} of ${entries.length} entries`);
  return { entries: entries.length, written, bytes, deleted, mismatched, failed };
}
