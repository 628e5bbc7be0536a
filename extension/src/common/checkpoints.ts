// The panel's side of sandbox checkpoints, as plain data: the checkpoint a run starts from (on its user message),
// what "Restore to here" does to the transcript, and the "Changes in this run" list made from sandbox_diff's answer.
// Restore keeps the later messages visible but greyed (Copilot's checkpoints do the same; Cline cuts them), and the
// model no longer sees them. Everything sandbox_diff names is attacker data: only ordinary workspace paths (the sync
// rule) become rows a user can open or undo; the rest is only counted. No transcript import here (no cycle).
import { syncPathProblem } from '@suna/shared/boundary/sandbox-path';

/** The sandbox checkpoint taken before a run: its id and when (host clock; the sync's user saves are compared with it). */
export interface RunCheckpoint {
  id: string;
  at: number;
}

interface Item {
  kind: string;
  undone?: boolean;
  checkpoint?: RunCheckpoint;
}

const CHECKPOINT_ID = /^ck-[0-9a-z]{6,12}-[0-9a-f]{6}$/;

/** Sets the run's checkpoint on the last user message (the run's own). */
export function setRunCheckpoint(items: Item[], id: string, at: number): void {
  if (!CHECKPOINT_ID.test(id)) return;
  for (let i = items.length - 1; i >= 0; i--) {
    if (items[i]!.kind === 'user') {
      items[i]!.checkpoint = { id, at };
      return;
    }
  }
}

/** The user message at `index` and everything after it are undone; a notice at the end says what happened. */
export function markRestored(items: Item[], index: number, text: string): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= items.length || items[index]!.kind !== 'user') return;
  for (let i = index; i < items.length; i++) items[i]!.undone = true;
  (items as Array<Item & { level?: string; text?: string }>).push({ kind: 'notice', level: 'info', text });
}

/** Whether "Restore to here" is offered on the item at `index`: a user message with a checkpoint, not already undone. */
export function canRestoreTo(items: readonly Item[], index: number): boolean {
  const it = items[index];
  return it?.kind === 'user' && !!it.checkpoint && !it.undone;
}

/** The checkpoint of the run that ended at the run-end item `index` (its user message's), if any. */
export function runCheckpointOf(items: readonly Item[], index: number): RunCheckpoint | undefined {
  if (items[index]?.kind !== 'run-end' || items[index]!.undone) return undefined;
  for (let i = index - 1; i >= 0; i--) if (items[i]!.kind === 'user') return items[i]!.checkpoint;
  return undefined;
}

/** What the restore notice says (the id of the checkpoint that holds the state before the restore). */
export function restoredText(userText: string, before: string): string {
  const line = userText.trim().split('\n')[0] ?? '';
  const quoted = line.length > 60 ? `${line.slice(0, 57)}…` : line;
  return `Restored to before "${quoted}": the sandbox and the workspace went back; the greyed messages are undone and no longer sent to the model. The state before the restore is checkpoint ${before}.`;
}

export interface RunChange {
  /** Workspace-relative, checked with the sync rule. */
  path: string;
  change: 'added' | 'changed' | 'removed';
  /** The file's text at the checkpoint, when the server sent it (small text files). */
  before?: string;
}

export interface RunChanges {
  files: RunChange[];
  /** Changes the panel does not list: the home directory, folders, symlinks, unusual names, past the server's cap. */
  notListed: number;
}

const WORKSPACE = '/workspace/';
const BIDI = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const MAX_BEFORE_CHARS = 2 * 1024 * 1024;

/** sandbox_diff's structured answer (with_before) → the files a user can open, keep or undo. */
export function runChangesFrom(structured: unknown): RunChanges {
  const s = (typeof structured === 'object' && structured !== null ? structured : {}) as { changes?: unknown; total?: unknown };
  const changes = Array.isArray(s.changes) ? s.changes.slice(0, 5000) : [];
  const total = typeof s.total === 'number' && Number.isSafeInteger(s.total) && s.total >= changes.length ? s.total : changes.length;
  const files: RunChange[] = [];
  for (const c of changes as Array<Record<string, unknown>>) {
    if (typeof c !== 'object' || c === null || c.type !== 'file' || c.unusual !== undefined) continue;
    if (c.change !== 'added' && c.change !== 'changed' && c.change !== 'removed') continue;
    if (typeof c.path !== 'string' || !c.path.startsWith(WORKSPACE)) continue;
    const rel = c.path.slice(WORKSPACE.length);
    // Bidirectional controls would make a listed name read as another (Trojan Source): not listed either.
    if (syncPathProblem(rel) || BIDI.test(rel)) continue;
    const before = typeof c.before === 'string' && c.before.length <= MAX_BEFORE_CHARS ? c.before : undefined;
    files.push({ path: rel, change: c.change, ...(before !== undefined ? { before } : {}) });
  }
  return { files, notListed: total - files.length };
}
