// What the host and the store program agree on: the id format, the two trees, and what is left out of them.
export const CHECKPOINT_ID = /^ck-[0-9a-z]{6,12}-[0-9a-f]{6}$/;
/** Inside the store sidecars: the checkpoints, and the agent's trees (read-only in the writer, writable in the restorer). */
export const STORE = '/store/cp';
export const SRC = '/src';
export const DST = '/dst';

export function checkId(id: unknown): string {
  if (typeof id !== 'string' || !CHECKPOINT_ID.test(id)) throw new Error('invalid checkpoint id');
  return id;
}
export const ROOTS = ['workspace', 'home'] as const;
export type Root = (typeof ROOTS)[number];
/** Not copied, never deleted by a restore: caches that are large, rebuilt on demand and noisy in a diff. */
export const EXCLUDES: Record<Root, string[]> = { workspace: [], home: ['.cache'] };

/** What the store program records for each checkpoint (meta.json beside its trees), as the host reads it back. */
export interface CheckpointMeta {
  id: string;
  label: string;
  createdAt: number;
  /** When the store program began reading the agent's trees for it (ms, the kernel's clock, as ctimes are). */
  walkedAt?: number;
  /** Files (any type) added, changed or removed since the previous checkpoint (all of them for the first). */
  changed: number;
  files: number;
  /** Apparent bytes of the regular files in the tree, and of those not shared with the previous checkpoint. */
  totalBytes: number;
  addedBytes: number;
  previous?: string;
  warnings: string[];
}

/**
 * A file whose ctime is at or after this moment (ns) may differ from its copy in checkpoint `meta` even when size
 * and mtime agree. 50 ms before the walk began: the kernel stamps ctimes from a clock that lags by up to a tick.
 */
export function changedSinceNs(meta: Pick<CheckpointMeta, 'walkedAt' | 'createdAt'>): bigint {
  return BigInt(Math.floor((meta.walkedAt ?? meta.createdAt) - 50)) * 1_000_000n;
}
