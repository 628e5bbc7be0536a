// Which workspace files the user's own edits were pushed to, and when: a checkpoint restore in the sandbox puts
// old versions back, and the pull that follows must not silently replace a file the user edited since that
// checkpoint (it becomes a review item instead). Bounded; when it forgets, every path counts as edited (safe side).

const MAX_PATHS = 20_000;

/** How the review item of a guarded path is worded after a restore. */
export const RESTORE_REASONS = {
  replaced: 'you changed it after that point; the restore put back the older version',
  deleted: 'you changed it after that point; the restore removed it',
};

export class UserSaveLog {
  private readonly saves = new Map<string, number>();
  private knownSince = Date.now();

  constructor(private readonly now: () => number = Date.now) {
    this.knownSince = now();
  }

  /** The user's change to `path` was pushed to the sandbox just now. */
  note(path: string): void {
    this.saves.delete(path);
    this.saves.set(path, this.now());
    if (this.saves.size > MAX_PATHS) {
      this.saves.clear();
      this.knownSince = this.now();
    }
  }

  /** The paths the user saved at or after `since`, for labelling; null when the log does not reach back that far. */
  savedSince(since: number): ReadonlySet<string> | null {
    if (since < this.knownSince) return null;
    return new Set([...this.saves].filter(([, t]) => t >= since).map(([p]) => p));
  }

  /** The paths edited at or after `since`; everything when the log does not reach back that far (started or cleared later). */
  editedSince(since: number): { has(path: string): boolean } {
    return this.savedSince(since) ?? { has: () => true };
  }
}
