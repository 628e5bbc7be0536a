// The sync planner: given the base (what both sides agreed on at the last sync), the workspace now and
// the sandbox now, decide per path what happens. Pure: no I/O, so every case is unit tested.
//
// Three hashes per path, B (base), L (local), R (remote), any of them possibly absent:
//   R = B            the agent did not touch it → push when L ≠ B (upload, or delete when L is absent)
//   R ≠ B, L = B     only the agent changed it → take theirs (write, or delete when R is absent), unless the user
//                    saved that file during the current run: then the agent replaced the user's edit → conflict
//   R ≠ B, L = R     both ended up the same → just record it as the base
//   R ≠ B, L ≠ B, L ≠ R   both changed it → three-way merge when both are files with a base; else a conflict
// A change coming back to a sensitive path (.vscode/, .envrc, …) waits for approval instead of applying.
import { syncPathProblem } from '@suna/shared/boundary/sandbox-path';
import { isSensitivePath } from './sync-paths.js';

export interface LocalEntry {
  size: number;
  /** Absent when the file was not read (over a cap): such a file is left alone in both directions. */
  sha256?: string;
  /** Why it was not read, when not for its size (e.g. a symlink out of the workspace). */
  reason?: string;
}

export interface RemoteEntry {
  size: number;
  sha256: string;
}

export interface SyncCaps {
  /** Files larger than this are not pushed (reported). */
  maxFileBytes: number;
  /** One sync pushes at most this many bytes; the rest is reported and waits for the next sync. */
  maxSyncBytes: number;
  /** At most this many files are synced at all. */
  maxFiles: number;
}

export const DEFAULT_CAPS: SyncCaps = { maxFileBytes: 5 * 1024 * 1024, maxSyncBytes: 500 * 1024 * 1024, maxFiles: 50_000 };

export type Action =
  | 'push' //           upload local content
  | 'push-delete' //    delete in the sandbox
  | 'take-theirs' //    write the sandbox content locally
  | 'delete-local' //   delete locally
  | 'record' //         both sides already agree: set the base
  | 'forget' //         gone on both sides: drop from the base
  | 'merge' //          both changed a file: try a three-way merge of the contents
  | 'conflict' //       both changed it and it cannot be merged: the user decides
  | 'needs-approval' // the agent changed a sensitive file: the user decides
  | 'refused' //        the sandbox reported a path that must never be written
  | 'skip'; //          over a cap, or not read: left alone, reported

export interface PlanItem {
  path: string;
  action: Action;
  /** For conflict / refused / skip: why, in words for the user. */
  reason?: string;
}

export interface ReconcileInput {
  base: ReadonlyMap<string, string>;
  local: ReadonlyMap<string, LocalEntry>;
  /** The sandbox's manifest; when absent, the sandbox is taken to hold the base (push-only planning). */
  remote?: ReadonlyMap<string, RemoteEntry>;
  /** False when the manifest was cut short: a path missing from it is then not taken as deleted. */
  remoteComplete?: boolean;
  /** Plan only these paths (incremental sync); default: every path any side knows. */
  paths?: Iterable<string>;
  /** Paths whose local edits were pushed during the current agent run: the agent's later change to one is for the user to review. */
  savedByUser?: { has(path: string): boolean };
  /** How a guarded path's review item is worded (default: saved during the run, then the agent changed it). */
  savedReason?: { replaced: string; deleted: string };
  caps: SyncCaps;
}

export interface Plan {
  items: PlanItem[];
  /** Bytes the pushes add up to. */
  pushBytes: number;
}

export function reconcile(input: ReconcileInput): Plan {
  const { base, local, remote, caps } = input;
  const remoteComplete = input.remoteComplete ?? true;
  const all = new Set<string>(input.paths ?? [...base.keys(), ...local.keys(), ...(remote ? remote.keys() : [])]);
  const items: PlanItem[] = [];
  let pushBytes = 0;
  let files = 0;

  for (const path of [...all].sort()) {
    const problem = syncPathProblem(path);
    if (problem) {
      // Local paths never get here (the scanner does not produce them); a remote one is refused loudly.
      if (remote?.has(path)) items.push({ path, action: 'refused', reason: problem });
      continue;
    }
    const b = base.get(path);
    const l = local.get(path);
    const r: RemoteEntry | undefined = remote ? remote.get(path) : b !== undefined ? { sha256: b, size: 0 } : undefined;
    const rHash = r?.sha256;
    const remoteUnknown = remote !== undefined && !remoteComplete && r === undefined && b !== undefined;

    if (l && l.sha256 === undefined) {
      items.push({ path, action: 'skip', reason: l.reason ?? (l.size > caps.maxFileBytes ? `larger than ${mb(caps.maxFileBytes)}` : 'not read') });
      continue;
    }
    const lHash = l?.sha256;
    if (l && ++files > caps.maxFiles) {
      items.push({ path, action: 'skip', reason: `more than ${caps.maxFiles.toLocaleString('en-US')} files` });
      continue;
    }

    if (remoteUnknown || rHash === b) {
      // The agent did not touch it (or we cannot tell): the local side decides.
      if (lHash === b) continue;
      if (lHash === undefined) {
        if (b !== undefined) items.push({ path, action: 'push-delete' });
        continue;
      }
      if (l!.size > caps.maxFileBytes) {
        items.push({ path, action: 'skip', reason: `larger than ${mb(caps.maxFileBytes)}` });
        continue;
      }
      if (pushBytes + l!.size > caps.maxSyncBytes) {
        items.push({ path, action: 'skip', reason: `the sync is over ${mb(caps.maxSyncBytes)}; it follows in a later sync` });
        continue;
      }
      pushBytes += l!.size;
      items.push({ path, action: 'push' });
      continue;
    }

    // The agent changed, created or deleted it.
    if (lHash === rHash) {
      items.push({ path, action: lHash === undefined ? 'forget' : 'record' });
      continue;
    }
    const sensitive = isSensitivePath(path);
    if (lHash === b) {
      if (input.savedByUser?.has(path) && lHash !== undefined && !sensitive)
        items.push({ path, action: 'conflict', reason: rHash === undefined ? (input.savedReason?.deleted ?? 'you saved it during this run; the agent then deleted it') : (input.savedReason?.replaced ?? 'you saved it during this run; the agent then replaced it') });
      else items.push({ path, action: sensitive ? 'needs-approval' : rHash === undefined ? 'delete-local' : 'take-theirs' });
      continue;
    }
    // Both changed it, differently.
    if (lHash === undefined) items.push({ path, action: 'conflict', reason: 'you deleted it; the agent changed it' });
    else if (rHash === undefined) items.push({ path, action: 'conflict', reason: 'you changed it; the agent deleted it' });
    else if (b === undefined) items.push({ path, action: 'conflict', reason: 'you and the agent both created it' });
    else items.push({ path, action: sensitive ? 'needs-approval' : 'merge' });
  }
  return { items, pushBytes };
}

export function mb(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB` : `${Math.round(bytes / 1024)} KB`;
}

/** Groups paths into batches whose sizes add up to at most `maxBytes` (a bigger file gets a batch alone). */
export function batchBySize<T extends { size: number }>(entries: T[], maxBytes: number, maxCount = 10_000): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const e of entries) {
    if (current.length > 0 && (bytes + e.size > maxBytes || current.length >= maxCount)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += e.size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
