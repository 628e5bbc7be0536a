// workspace_sync_push / workspace_sync_manifest / workspace_sync_pull: bulk file transfer for the VS Code
// extension's workspace sync. Hidden unless the server runs with --sync-tools (SUNA_SYNC_TOOLS), so an
// ordinary MCP client (and its model) never sees them. Thin adapters over the sync domain (src/sync/):
// archive.ts validates a pushed archive (one bad entry refuses it all, nothing written), manifest.ts checks
// what the daemon lists. A big push is extracted by the daemon in one request (its `extract` op re-checks
// every folder on the real filesystem; the tar travels raw); a small or guarded one goes file by file through
// `write`. Every daemon call goes through the call's facade (ctx.fs / ctx.exec: signal, default timeouts).
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { resolveWorkspacePath, WORKSPACE_ROOT } from '@suna/sandbox';
import { syncPathProblem } from '@suna/shared';
import { z } from 'zod';
import { readSyncArchive, SYNC_LIMITS, SyncArchiveError, type ArchiveEntry, type SyncArchive } from '../sync/archive.js';
import { saneManifest } from '../sync/manifest.js';
import { defineTool, SandboxFileError, ToolError, type ToolContext } from '../tool.js';

export { SYNC_LIMITS, syncPathProblem };

/** Folders the sync never writes, reads or lists, at the top (`.suna`: the server's scratch space). */
const NEVER_TOP = ['.git', '.suna'];

/** The archive, validated; a refusal becomes the model-facing error. */
async function validated(raw: Buffer): Promise<SyncArchive> {
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
async function extractInSandbox(ctx: ToolContext, archive: SyncArchive): Promise<boolean> {
  const r = await ctx.fs.extract(WORKSPACE_ROOT, archive.tar, { folders: archive.folders, timeoutMs: EXTRACT_TIMEOUT_MS });
  if (r.exitCode !== 0) ctx.runtime.log.warn('sync: tar extraction failed, writing entry by entry', { stderr: r.stderr.slice(0, 500) });
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

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const abs = (p: string) => resolveWorkspacePath(p, { allowRoot: false });

const isMissing = (err: unknown) => err instanceof SandboxFileError && err.code === 'ENOENT';

/** The sandbox's current sha256 of `path`, null when absent. */
async function currentHash(ctx: ToolContext, path: string): Promise<string | null> {
  try {
    return sha256((await ctx.fs.read(abs(path), { maxBytes: SYNC_LIMITS.maxEntryBytes })).data);
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

export const workspaceSyncPush = defineTool({
  name: 'workspace_sync_push',
  title: 'Sync files into the workspace',
  kind: 'destructive',
  description:
    'For editor integrations: write a tar archive (base64, plain or gzip) of workspace files into /workspace and delete the listed paths. ' +
    'Every entry is validated first (relative paths, no "..", nothing in .git/ or .suna/, only files, folders and symlinks that stay inside); ' +
    'a bad entry refuses the whole archive. With if_match, a path whose sandbox sha256 differs from the expected one (null: must not exist) is left alone and reported.',
  input: z.object({
    archive: z.string().max(Math.ceil((SYNC_LIMITS.maxArchiveBytes * 4) / 3) + 8).describe('base64 of a tar (or tar.gz) archive; may be empty'),
    delete: z.array(z.string().max(1024)).max(SYNC_LIMITS.maxEntries).optional().describe('Workspace-relative paths to delete'),
    if_match: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/).nullable()).optional().describe('path → sha256 the sandbox copy must have (null: absent)'),
  }),
  async handle({ archive, delete: remove = [], if_match }, ctx) {
    // (No regular expression over megabytes of base64: a malformed archive fails tar validation instead.)
    const parsed = archive ? await validated(Buffer.from(archive, 'base64')) : null;
    const entries: ArchiveEntry[] = parsed?.entries ?? [];
    const badDeletes = remove.map((p) => [p, syncPathProblem(p)] as const).filter(([, why]) => why);
    if (badDeletes.length) throw new ToolError(`delete refused, nothing was written: ${badDeletes.map(([p, why]) => `${JSON.stringify(p)}: ${why}`).join('; ')}`);

    const mismatched: string[] = [];
    const failed: Array<{ path: string; error: string }> = [];
    const guard = if_match ?? {};
    const matches = async (path: string) => {
      if (!Object.hasOwn(guard, path)) return true;
      const ok = (await currentHash(ctx, path)) === guard[path];
      if (!ok) mismatched.push(path);
      return ok;
    };
    let written = 0;
    let bytes = 0;
    let deleted = 0;
    const bulk = !if_match && parsed !== null && entries.length >= BULK_MIN_ENTRIES && (await extractInSandbox(ctx, parsed));
    if (bulk) {
      written = entries.length;
      bytes = parsed.bytes;
    }
    await pool(bulk ? [] : entries, SYNC_LIMITS.concurrency, ctx.signal, async (e) => {
      try {
        if (!(await matches(e.path))) return;
        if (e.type === 'file') {
          await ctx.fs.write(abs(e.path), e.data!, { mkdirs: true, mode: e.mode });
          bytes += e.data!.length;
        } else {
          const target = abs(e.path);
          await ctx.fs.mkdir(posix.dirname(target));
          const existing = await ctx.fs.stat(target).catch(() => null);
          if (existing?.type === 'dir') throw new ToolError('a folder is in the way');
          const r = await ctx.exec({ argv: ['ln', '-sfn', '--', e.target!, target], timeoutMs: 30_000, capBytes: 4096 });
          if (r.exitCode !== 0) throw new ToolError(r.stderr.head.trim() || `ln exited with ${r.exitCode}`);
        }
        written++;
      } catch (err) {
        failed.push({ path: e.path, error: err instanceof Error ? err.message : String(err) });
      }
    });
    await pool(remove, SYNC_LIMITS.concurrency, ctx.signal, async (p) => {
      try {
        if (!(await matches(p))) return;
        await ctx.fs.remove(abs(p));
        deleted++;
      } catch (err) {
        if (isMissing(err)) deleted++;
        else failed.push({ path: p, error: err instanceof Error ? err.message : String(err) });
      }
    });
    if (ctx.signal.aborted) throw new ToolError(`cancelled after writing ${written} of ${entries.length} entries`);
    const lines = [`wrote ${written} of ${entries.length} entries (${bytes} bytes), deleted ${deleted} of ${remove.length}`];
    if (mismatched.length) lines.push(`left alone because the sandbox copy changed: ${mismatched.join(', ')}`);
    if (failed.length) lines.push(`failed: ${failed.map((f) => `${f.path}: ${f.error}`).join('; ')}`);
    ctx.reply.text(lines.join('\n'));
    ctx.reply.structuredContent({ written, bytes, deleted, mismatched, failed });
  },
});

export const workspaceSyncManifest = defineTool({
  name: 'workspace_sync_manifest',
  title: 'List workspace files with hashes',
  kind: 'read',
  description:
    'For editor integrations: every file and symlink under /workspace that .gitignore does not exclude (never .git/ or .suna/), ' +
    'with size, mode and sha256 (of a symlink: of its target). Files over max_file_bytes are listed in `skipped` without a hash.',
  input: z.object({
    max_entries: z.number().int().min(1).max(SYNC_LIMITS.maxManifestEntries).optional(),
    max_file_bytes: z.number().int().min(1).max(SYNC_LIMITS.maxEntryBytes).optional(),
  }),
  async handle({ max_entries, max_file_bytes }, ctx) {
    const r = await ctx.fs.manifest(WORKSPACE_ROOT, { maxEntries: max_entries ?? 50_000, respectIgnore: true, exclude: NEVER_TOP, maxFileBytes: max_file_bytes ?? SYNC_LIMITS.maxEntryBytes });
    // The daemon's answer is checked field by field: a bad name (or nested repositories' .git data) is
    // left out; a malformed entry too; never more entries than were asked for.
    const { entries, truncated, skipped } = saneManifest(r, max_entries ?? 50_000);
    const bytes = entries.reduce((n, e) => n + e.size, 0);
    ctx.reply.text(`${entries.length} files (${bytes} bytes)${truncated ? ', list cut short: raise max_entries' : ''}${skipped.length ? `; ${skipped.length} over the size limit` : ''}`);
    ctx.reply.structuredContent({
      entries: entries.map((e) => ({ path: e.path, type: e.type, size: e.size, mode: e.mode & 0o777, sha256: e.sha256, ...(e.target !== undefined ? { target: e.target } : {}) })),
      truncated,
      skipped,
    });
  },
});

export const workspaceSyncPull = defineTool({
  name: 'workspace_sync_pull',
  title: 'Read workspace files in bulk',
  kind: 'read',
  description:
    `For editor integrations: the contents (base64) of the given workspace files, in order, up to about ${SYNC_LIMITS.pullBatchBytes / 1024 / 1024} MB per call; ` +
    'the paths that did not fit are returned in `remaining` for the next call. A path that does not exist comes back with missing: true.',
  input: z.object({ paths: z.array(z.string().max(1024)).min(1).max(SYNC_LIMITS.maxEntries) }),
  async handle({ paths }, ctx) {
    const bad = paths.map((p) => [p, syncPathProblem(p)] as const).filter(([, why]) => why);
    if (bad.length) throw new ToolError(`refused: ${bad.map(([p, why]) => `${JSON.stringify(p)}: ${why}`).join('; ')}`);
    type Pulled = { path: string; missing?: true; data?: string; size?: number; sha256?: string; mode?: number; error?: string };
    const files: Pulled[] = [];
    let total = 0;
    let next = 0;
    // Read in waves of `concurrency`, stopping once the batch is full.
    while (next < paths.length && total < SYNC_LIMITS.pullBatchBytes && !ctx.signal.aborted) {
      const wave = paths.slice(next, next + SYNC_LIMITS.concurrency);
      const results = await Promise.all(
        wave.map(async (p): Promise<Pulled> => {
          try {
            const [r, st] = await Promise.all([ctx.fs.read(abs(p), { maxBytes: SYNC_LIMITS.maxEntryBytes }), ctx.fs.stat(abs(p))]);
            if (r.truncated) return { path: p, error: `over the ${SYNC_LIMITS.maxEntryBytes} byte limit` };
            // Decoded (by the facade) and encoded again here, so what the client gets is exactly what was hashed.
            const data = r.data;
            if (data.length > SYNC_LIMITS.maxEntryBytes) return { path: p, error: `over the ${SYNC_LIMITS.maxEntryBytes} byte limit` };
            const mode = Number.isSafeInteger(st?.mode) ? st!.mode & 0o777 : 0o644;
            return { path: p, data: data.toString('base64'), size: data.length, sha256: sha256(data), mode };
          } catch (err) {
            if (isMissing(err)) return { path: p, missing: true };
            return { path: p, error: err instanceof Error ? err.message : String(err) };
          }
        }),
      );
      for (const f of results) {
        if (total >= SYNC_LIMITS.pullBatchBytes && files.length > 0) break;
        files.push(f);
        total += f.size ?? 0;
        next++;
      }
    }
    const remaining = paths.slice(next);
    const missing = files.filter((f) => f.missing).length;
    const errors = files.filter((f) => f.error);
    ctx.reply.text(
      `${files.length - missing - errors.length} files (${total} bytes)${missing ? `, ${missing} missing` : ''}${errors.length ? `, ${errors.length} unreadable` : ''}` +
        (remaining.length ? `; ${remaining.length} more: call again with the paths in remaining` : ''),
    );
    ctx.reply.structuredContent({ files, remaining });
  },
});

export const syncTools = [workspaceSyncPush, workspaceSyncManifest, workspaceSyncPull];
