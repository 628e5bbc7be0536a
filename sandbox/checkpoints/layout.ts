// What the host and the store program agree on: the id format, the two trees, and what is left out of them.
export const CHECKPOINT_ID = /^ck-[0-9a-z]{6,12}-[0-9a-f]{6}$/;
export const ROOTS = ['workspace', 'home'] as const;
export type Root = (typeof ROOTS)[number];
/** Not copied, never deleted by a restore: caches that are large, rebuilt on demand and noisy in a diff. */
export const EXCLUDES: Record<Root, string[]> = { workspace: [], home: ['.cache'] };
