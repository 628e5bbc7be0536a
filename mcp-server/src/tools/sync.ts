// workspace_sync_push / workspace_sync_manifest / workspace_sync_pull: bulk file transfer for the VS Code
// extension's workspace sync. Hidden unless the server runs with --sync-tools (SUNA_SYNC_TOOLS), so an
// ordinary MCP client (and its model) never sees them. Thin adapters over the sync domain (src/sync/):
// archive.ts validates a pushed archive (one bad entry refuses it all, nothing written), manifest.ts checks
// what the daemon lists, push.ts writes (shared with the local upload channel). Every daemon call goes through
// the call's facade (ctx.fs / ctx.exec: signal, default timeouts).
import { WORKSPACE_ROOT } from '@suna/sandbox';
import { syncPathProblem } from '@suna/shared';
import { z } from 'zod';
import { SYNC_LIMITS } from '../sync/archive.js';
import { saneManifest } from '../sync/manifest.js';
import { abs, isMissing, pushValidated, sha256, validated } from '../sync/push.js';
import { prepareBaseWhenIdle } from '../checkpoints/base-prep.js';
import { openUploadChannel, type UploadChannel } from '../sync/upload-channel.js';
import { bindSandbox } from '../sandbox-facade.js';
import { defineTool, ToolError } from '../tool.js';

export { SYNC_LIMITS, syncPathProblem };

/** Folders the sync never writes, reads or lists, at the top (`.suna`: the server's scratch space). */
const NEVER_TOP = ['.git', '.suna'];

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
    const r = await pushValidated({ fs: ctx.fs, exec: ctx.exec, signal: ctx.signal, log: ctx.runtime.log }, parsed, remove, if_match);
    prepareBaseWhenIdle(ctx.runtime); // the first checkpoint is then made against this tree
    const lines = [`wrote ${r.written} of ${r.entries} entries (${r.bytes} bytes), deleted ${r.deleted} of ${remove.length}`];
    if (r.mismatched.length) lines.push(`left alone because the sandbox copy changed: ${r.mismatched.join(', ')}`);
    if (r.failed.length) lines.push(`failed: ${r.failed.map((f) => `${f.path}: ${f.error}`).join('; ')}`);
    ctx.reply.text(lines.join('\n'));
    ctx.reply.structuredContent({ written: r.written, bytes: r.bytes, deleted: r.deleted, mismatched: r.mismatched, failed: r.failed });
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

/** One upload channel per runtime (sandbox), opened on first ask. */
const channels = new WeakMap<object, Promise<UploadChannel>>();

export const workspaceSyncChannel = defineTool({
  name: 'workspace_sync_channel',
  title: 'Open the local upload channel',
  kind: 'read',
  description:
    'For editor integrations on this machine: the loopback URL and bearer token to POST a tar archive (raw, no base64) to, written exactly as ' +
    'workspace_sync_push writes one (validated first, all or nothing). Deletes and if_match stay on workspace_sync_push.',
  input: z.object({}),
  async handle(_args, ctx) {
    const { runtime } = ctx;
    let channel = channels.get(runtime);
    if (!channel) {
      channel = openUploadChannel((signal) => {
        prepareBaseWhenIdle(runtime); // (re)started by each upload: the base is copied once they stop
        return { ...bindSandbox(runtime.sandbox, signal), signal, log: runtime.log };
      });
      channel.catch(() => channels.delete(runtime));
      channels.set(runtime, channel);
    }
    const { url, token } = await channel;
    ctx.reply.text(`upload channel: POST a tar to ${url} with the bearer token in structuredContent`);
    ctx.reply.structuredContent({ url, token });
  },
});

export const syncTools = [workspaceSyncPush, workspaceSyncManifest, workspaceSyncPull, workspaceSyncChannel];
