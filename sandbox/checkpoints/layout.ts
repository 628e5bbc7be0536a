// What the host and the store program agree on: the id format, the two trees, and what is left out of them.
export const CHECKPOINT_ID = /^ck-[0-9a-z]{6,12}-[0-9a-f]{6}$/;
export const ROOTS = ['workspace', 'home'] as const;
export type Root = (typeof ROOTS)[number];
/** Not copied, never deleted by a restore: caches that are large, rebuilt on demand and noisy in a diff. */
export const EXCLUDES: Record<Root, string[]> = { workspace: [], home: ['.cache'] };

/** What the store program records for each checkpoint (meta.json beside its trees), as the host reads it back. */
export interface CheckpointMeta {
  id: string;
  label: string;
  createdAt: number;
  /** Files (any type) added, changed or removed since the previous checkpoint (all of them for the first). */
  changed: number;
  files: number;
  /** Apparent bytes of the regular files in the tree, and of those not shared with the previous checkpoint. */
  totalBytes: number;
  addedBytes: number;
  previous?: string;
  warnings: string[];
}
