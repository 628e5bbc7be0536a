// The workspace side of a sync step: which files are there, their hashes, and the bytes to push.
import type { LocalEntry, SyncCaps } from '../common/sync-planner.js';
import { isSyncablePath } from '@suna/shared/boundary/sandbox-path';
import { symlinkTargetProblem } from '@suna/shared/boundary/sandbox-path';
import { assertNoSymlinkOnPath } from '@suna/shared/boundary/safe-write';
import { describe, readEntry, sha256, type ScannedFile } from './workspace-scan.js';

export interface LocalSide {
  entries: Map<string, LocalEntry>;
  /** Contents read along the way: those that differ from the base (to push), or all that were asked for. */
  contents: Map<string, Buffer>;
  meta: Map<string, ScannedFile>;
}

interface Context {
  root: string;
  caps: SyncCaps;
  base: { hashes: ReadonlyMap<string, string> };
}

/** Reads and hashes `files` (32 at a time); files over the size cap are listed without a hash. */
export async function readLocal(o: Context, files: Map<string, ScannedFile>): Promise<LocalSide> {
  const side: LocalSide = { entries: new Map(), contents: new Map(), meta: files };
  const list = [...files];
  let i = 0;
  const worker = async () => {
    while (i < list.length) {
      const [path, meta] = list[i++]!;
      if (meta.size > o.caps.maxFileBytes) {
        side.entries.set(path, { size: meta.size });
        continue;
      }
      // A symlink out of the workspace (absolute, or climbing above it) is left alone in both directions
      // and reported: the server would refuse it, and one such link must not fail a whole push.
      const linkProblem = meta.type === 'symlink' ? symlinkTargetProblem(path, meta.target) : null;
      if (linkProblem) {
        side.entries.set(path, { size: meta.size, reason: `${linkProblem}: not synced` });
        continue;
      }
      const data = await readEntry(o.root, path, meta);
      if (!data) continue;
      const sha = sha256(data);
      side.entries.set(path, { size: data.length, sha256: sha });
      if (o.base.hashes.get(path) !== sha) side.contents.set(path, data);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  return side;
}

/** The same for a few named paths, keeping every content (a merge needs "mine" even when it equals the base). */
export async function readLocalPaths(o: Context, paths: string[]): Promise<LocalSide> {
  const meta = new Map<string, ScannedFile>();
  for (const p of paths) {
    const d = isSyncablePath(p) && (await underRealFolders(o.root, p)) ? await describe(o.root, p) : null;
    if (d) meta.set(p, d);
  }
  const side = await readLocal(o, meta);
  for (const [p, m] of meta) if (!side.contents.has(p) && side.entries.get(p)?.sha256) side.contents.set(p, (await readEntry(o.root, p, m))!);
  return side;
}

/** What is on disk at `path` right now (checked again just before a write). */
export async function currentLocal(root: string, path: string): Promise<{ sha: string | null; data?: Buffer }> {
  const d = (await underRealFolders(root, path)) ? await describe(root, path) : null;
  if (!d) return { sha: null };
  const data = await readEntry(root, path, d);
  return data ? { sha: sha256(data), data } : { sha: null };
}

/**
 * False when a folder on the way to `path` is a symlink (`ext → /outside`): what lies behind it is not
 * the workspace, so it is neither read (its content would be pushed into the sandbox) nor written.
 */
export async function underRealFolders(root: string, path: string): Promise<boolean> {
  return assertNoSymlinkOnPath(root, path, { allowFinalSymlink: true }).then(
    () => true,
    () => false,
  );
}
