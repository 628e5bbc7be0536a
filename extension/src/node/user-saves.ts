// Which workspace files the user's own edits were pushed to, and when: a checkpoint restore in the sandbox puts
// old versions back, and the pull that follows must not silently replace a file the user edited since that
// checkpoint (it becomes a review item instead). Bounded; when it forgets, every path counts as edited (safe side).
// Kept across window reloads in the extension's storage (persisted()), so a reload does not make it forget.
import { readJson, writeFileAtomic } from './atomic-file.js';

const MAX_PATHS = 20_000;

/** How the review item of a guarded path is worded after a restore. */
export const RESTORE_REASONS = {
  replaced: 'you changed it after that point; the restore put back the older version',
  deleted: 'you changed it after that point; the restore removed it',
};

const MAX_PATH_CHARS = 4096;
const SAVE_DELAY_MS = 1000;

export class UserSaveLog {
  private readonly saves = new Map<string, number>();
  private knownSince = Date.now();
  private file: string | undefined;
  private saveTimer: NodeJS.Timeout | undefined;

  constructor(private readonly now: () => number = Date.now) {
    this.knownSince = now();
  }

  /**
   * The log kept in `file`: what it held at the last save (a file that is missing, damaged or from the future gives
   * an empty log that knows nothing before now), saved a moment after each change.
   */
  static async persisted(file: string, now: () => number = Date.now): Promise<UserSaveLog> {
    const log = new UserSaveLog(now);
    log.file = file;
    const data = await readJson<{ version?: unknown; knownSince?: unknown; saves?: unknown }>(file);
    const valid = (t: unknown): t is number => typeof t === 'number' && Number.isFinite(t) && t <= now();
    if (data?.version !== 1 || !valid(data.knownSince) || !Array.isArray(data.saves)) return log;
    const entries = data.saves.slice(-MAX_PATHS) as unknown[];
    if (!entries.every((e) => Array.isArray(e) && typeof e[0] === 'string' && e[0].length <= MAX_PATH_CHARS && valid(e[1]))) return log;
    log.knownSince = data.knownSince;
    for (const [path, t] of entries as Array<[string, number]>) log.saves.set(path, t);
    return log;
  }

  /** Writes the log now, when it is persisted (at shutdown; otherwise a moment after each change). */
  async flush(): Promise<void> {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (!this.file) return;
    await writeFileAtomic(this.file, JSON.stringify({ version: 1, knownSince: this.knownSince, saves: [...this.saves] })).catch(() => {});
  }

  private scheduleSave(): void {
    if (!this.file || this.saveTimer) return;
    this.saveTimer = setTimeout(() => void this.flush(), SAVE_DELAY_MS);
    this.saveTimer.unref?.();
  }

  /** The user's change to `path` was pushed to the sandbox just now. */
  note(path: string): void {
    this.saves.delete(path);
    this.saves.set(path, this.now());
    if (this.saves.size > MAX_PATHS) {
      this.saves.clear();
      this.knownSince = this.now();
    }
    this.scheduleSave();
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
