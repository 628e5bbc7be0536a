// Restore in the restorer sidecar (store read-only, the agent's trees read-write): whole trees, or named paths.
// rsync's quick check trusts size and mtime, both of which the agent can forge; the kernel's ctime says which
// files need their bytes copied regardless (tree.ts `compare`).
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { changedSinceNs, checkId, DST, EXCLUDES, ROOTS, STORE, type CheckpointMeta, type Root } from './layout.js';
import { rsyncListed } from './incremental.js';
import { copyTree, rsync, type CopyStats } from './rsync.js';
import { compare, walk } from './tree.js';

export async function restore(args: { id: string; paths?: unknown }): Promise<{ warnings: string[] }> {
  const id = checkId(args.id);
  if (!existsSync(`${STORE}/${id}.json`)) throw new Error(`no checkpoint ${id}`);
  // Its links are still to be made (by the writer, which every checkpoint, list or diff lets finish first).
  if (existsSync(`${STORE}/${id}.pending`)) throw new Error(`checkpoint ${id} is still being completed; retry in a moment`);
  if (args.paths !== undefined) return restorePaths(id, args.paths);
  const meta = JSON.parse(readFileSync(`${STORE}/${id}.json`, 'utf8')) as CheckpointMeta;
  const copies = await Promise.all(ROOTS.map((root) => restoreTree(root, id, meta)));
  return { warnings: copies.flatMap((c) => c.warnings) };
}

/**
 * One tree back to checkpoint `id`: rsync --delete, whose quick check skips a file of the same size and mtime.
 * The agent can forge both (a same-size rewrite, then `touch -d` to the nanosecond), so the files that pass it
 * but changed (ctime, set by the kernel) since the checkpoint was taken are copied again, whole (--ignore-times).
 * A tree too large to walk is compared by checksum instead.
 */
async function restoreTree(root: Root, id: string, meta: CheckpointMeta): Promise<CopyStats> {
  const from = `${STORE}/${id}/${root}`;
  const to = `${DST}/${root}`;
  let suspects: string[] | null;
  try {
    suspects = compare(from, walk(from), to, walk(to, EXCLUDES[root]), false, changedSinceNs(meta)).filter((c) => c.maybe).map((c) => c.key);
  } catch {
    suspects = null;
  }
  const copied = await copyTree(from, to, root, ['--delete', ...(suspects ? [] : ['--checksum'])]);
  if (!suspects?.length) return copied;
  const r = await rsyncListed(from, to, suspects, ['--ignore-times']);
  if (r.code === 24 || r.code === 23) copied.warnings.push(`${root}: some files could not be restored (rsync ${r.code})`);
  else if (r.code !== 0) throw new Error(`rsync failed (${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  return copied;
}

/**
 * Only these entries ("workspace/…", "home/…", checked again here) go back to checkpoint `id`: each is copied from
 * it, or deleted when the checkpoint has no such entry (--delete-missing-args). The list goes to rsync NUL-separated.
 */
async function restorePaths(id: string, paths: unknown): Promise<{ warnings: string[] }> {
  if (!Array.isArray(paths) || paths.length === 0 || paths.length > 1000) throw new Error('paths: 1 to 1000 entries');
  const byRoot = new Map<Root, string[]>();
  for (const p of paths) {
    const [root, ...rest] = typeof p === 'string' ? p.split('/') : [];
    const rel = rest.join('/');
    if (!ROOTS.includes(root as Root) || !rel || rest.some((s) => s === '' || s === '.' || s === '..') || rel.includes('\0')) throw new Error('invalid path in paths');
    byRoot.set(root as Root, [...(byRoot.get(root as Root) ?? []), rel]);
  }
  const warnings: string[] = [];
  for (const [root, rels] of byRoot) {
    const list = `/tmp/restore-${root}.list`;
    writeFileSync(list, rels.join('\0') + '\0');
    const excludes = EXCLUDES[root].map((e) => `--exclude=/${e}`);
    // --ignore-times: a named file is copied even when size and mtime agree (both can be forged).
    const r = await rsync(['-a', '-r', '--ignore-times', '--numeric-ids', '--from0', `--files-from=${list}`, '--delete-missing-args', '--force', ...excludes, '--', `${STORE}/${id}/${root}/`, `${DST}/${root}/`]);
    rmSync(list, { force: true });
    if (r.code === 24 || r.code === 23) warnings.push(`${root}: some entries could not be restored (rsync ${r.code})`);
    else if (r.code !== 0) throw new Error(`rsync failed (${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  }
  return { warnings };
}
