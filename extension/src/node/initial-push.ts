// The first push into an empty sandbox, streamed: with no base and nothing in the sandbox every file the caps
// allow is a plain upload, so files are read, hashed and sent batch by batch, the next batch being read while
// the previous ones travel and unpack (as `tar -c | tar -x` overlaps its two ends), instead of reading the whole
// workspace before the first byte leaves. The planner still decides what goes (caps, refused symlinks), from
// sizes alone: in this case its answer does not depend on the hashes.
import type { SyncIssue } from '../common/protocol.js';
import { reconcile, type LocalEntry, type SyncCaps } from '../common/sync-planner.js';
import { symlinkTargetProblem } from '@suna/shared/boundary/sandbox-path';
import { MAX_FILES_PER_PUSH, PUSH_BATCH_BYTES, type PushFile, type SandboxSyncApi } from './sandbox-sync-api.js';
import { readEntry, sha256, type ScannedFile } from './workspace-scan.js';

const READS_AT_ONCE = 32;
const BATCHES_IN_FLIGHT = 2;

export interface InitialPushContext {
  root: string;
  caps: SyncCaps;
  api: SandboxSyncApi;
  /** Sets the base of a path the sandbox now holds (and keeps its content for later merges). */
  record(path: string, sha: string, data: Uint8Array): void;
}

/** Pushes `files` into an empty sandbox; returns the bytes sent. Files not pushed are added to `issues`. */
export async function streamInitialPush(o: InitialPushContext, files: Map<string, ScannedFile>, issues: SyncIssue[]): Promise<number> {
  const planning = new Map<string, LocalEntry>();
  for (const [path, meta] of files) {
    const linkProblem = meta.type === 'symlink' ? symlinkTargetProblem(path, meta.target) : null;
    if (meta.size > o.caps.maxFileBytes) planning.set(path, { size: meta.size });
    else if (linkProblem) planning.set(path, { size: meta.size, reason: `${linkProblem}: not synced` });
    else planning.set(path, { size: meta.size, sha256: 'not read yet' });
  }
  const plan = reconcile({ base: new Map(), local: planning, remote: new Map(), remoteComplete: true, caps: o.caps });
  const toPush: string[] = [];
  for (const item of plan.items) {
    if (item.action === 'push') toPush.push(item.path);
    else if (item.action === 'skip' || item.action === 'refused') issues.push({ path: item.path, reason: item.reason ?? item.action });
  }

  let sent = 0;
  // The first failed push stops the reading; batches already on their way finish, then the error is thrown.
  let failure: { error: unknown } | null = null;
  const inFlight = new Set<Promise<void>>();
  const send = (batch: PushFile[]) => {
    const tracked: Promise<void> = o.api
      .push(batch, [])
      .then(
        (r) => {
          const refused = new Set([...r.mismatched, ...r.failed.map((f) => f.path)]);
          for (const f of r.failed) issues.push({ path: f.path, reason: `not written in the sandbox: ${f.error}` });
          for (const f of batch) if (!refused.has(f.path)) o.record(f.path, sha256(f.data), f.data);
        },
        (error: unknown) => void (failure ??= { error }),
      )
      .finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };
  let batch: PushFile[] = [];
  let batchBytes = 0;
  for (let i = 0; i < toPush.length && !failure; i += READS_AT_ONCE) {
    const paths = toPush.slice(i, i + READS_AT_ONCE);
    const read = await Promise.all(paths.map((p) => readEntry(o.root, p, files.get(p)!)));
    for (const [k, data] of read.entries()) {
      if (!data) continue; // gone since the scan
      // Cut exactly as push() would (size + one header), so each batch is one call, not one and a remainder.
      if (batch.length && (batchBytes + data.length + 512 > PUSH_BATCH_BYTES || batch.length >= MAX_FILES_PER_PUSH)) {
        while (inFlight.size >= BATCHES_IN_FLIGHT) await Promise.race(inFlight);
        send(batch);
        batch = [];
        batchBytes = 0;
      }
      const meta = files.get(paths[k]!)!;
      batch.push({ path: paths[k]!, data, mode: meta.mode, symlink: meta.type === 'symlink' });
      batchBytes += data.length + 512;
      sent += data.length;
    }
  }
  if (batch.length && !failure) send(batch);
  await Promise.all(inFlight);
  if (failure) throw (failure as { error: unknown }).error;
  return sent;
}
