// The first push into an empty sandbox, streamed: with no base and nothing in the sandbox every file the caps
// allow is a plain upload, so files are read straight into the archive that goes out (TarWriter: each file's
// bytes land in their place, no copy, no concatenation), batch by batch, the next batch being read while the
// previous ones travel and unpack (as `tar -c | tar -x` overlaps its two ends). Reads are synchronous (open,
// fstat, read, close: a fraction of what the promise API costs per small file), with a yield to the event loop
// every READ_SLICE_BYTES. The planner still decides what goes (caps, refused symlinks), from the scan's sizes;
// a file is opened without following a symlink (swapped in since the scan: not read) and sized as opened.
// The batches grow (1 MB, 2, 4, then 8 MB each): the sandbox starts unpacking after the first megabyte is read
// instead of the first eight, and a small workspace is not one archive waiting for its last file. A batch is cut by
// the bytes its archive really holds (headers and padding included), so the writer, sized for it, never grows.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { symlinkTargetProblem } from '@suna/shared/boundary/sandbox-path';
import { TAR_END_BYTES, TarWriter, tarEntryBytes } from '@suna/shared/sync/tar';
import type { SyncIssue } from '../common/protocol.js';
import { mb, reconcile, type LocalEntry, type SyncCaps } from '../common/sync-planner.js';
import { MAX_FILES_PER_PUSH, PUSH_BATCH_BYTES, type PushFile, type SandboxSyncApi } from './sandbox-sync-api.js';
import { sha256, type ScannedFile } from './workspace-scan.js';

const BATCHES_IN_FLIGHT = 2;
/** The first archive's size; each next one doubles, up to PUSH_BATCH_BYTES. */
const FIRST_BATCH_BYTES = 1024 * 1024;
/** Read this much between two turns of the event loop (the extension host stays responsive). */
const READ_SLICE_BYTES = 4 * 1024 * 1024;
const HEADER_BYTES = 512;

export interface InitialPushContext {
  root: string;
  caps: SyncCaps;
  api: SandboxSyncApi;
  /** Sets the base of a path the sandbox now holds (and keeps its content for later merges). */
  record(path: string, sha: string, data: Uint8Array): void;
}

/** What a scanned entry will take in the archive (tar.ts counts it exactly). */
const scannedBytes = (path: string, meta: ScannedFile) => (meta.type === 'symlink' ? tarEntryBytes(path, 0, meta.target ?? '') : tarEntryBytes(path, meta.size));

/** An open regular file, sized as opened; null when it is gone or no longer a plain file. */
function openRegular(path: string): { fd: number; size: number; mode: number } | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (st.isFile()) return { fd, size: st.size, mode: st.mode & 0o777 };
  } catch {
    /* closed below */
  }
  closeSync(fd);
  return null;
}

/** Reads up to `target.length` bytes of `fd` into `target`; fewer when the file shrank meanwhile. */
function readFully(fd: number, target: Buffer): number {
  let got = 0;
  while (got < target.length) {
    const n = readSync(fd, target, got, target.length - got, null);
    if (n === 0) break;
    got += n;
  }
  return got;
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
  const send = (tar: Buffer, batch: PushFile[]) => {
    const pushed = o.api.pushArchive ? o.api.pushArchive(tar) : o.api.push(batch, []);
    const tracked: Promise<void> = pushed
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

  // Sized from the scan for the files still to come (a file that grew since only makes the writer grow).
  let remainingBytes = toPush.reduce((n, p) => n + scannedBytes(p, files.get(p)!), 0);
  let batchLimit = FIRST_BATCH_BYTES;
  /** A writer for the next batch, which starts with an entry of `first` bytes (already out of remainingBytes). */
  const newWriter = (first: number) => new TarWriter(Math.max(Math.min(remainingBytes + first, batchLimit), first) + TAR_END_BYTES);
  let writer = newWriter(0);
  let batch: PushFile[] = [];
  let sliceBytes = 0;
  /** Sends the batch so far when an entry of `bytes` more would take its archive over the batch's size. */
  const makeRoom = async (bytes: number) => {
    if (!batch.length || (writer.size + bytes <= batchLimit && batch.length < MAX_FILES_PER_PUSH)) return;
    while (inFlight.size >= BATCHES_IN_FLIGHT) await Promise.race(inFlight);
    send(writer.finish(), batch);
    batchLimit = Math.min(batchLimit * 2, PUSH_BATCH_BYTES);
    writer = newWriter(bytes);
    batch = [];
  };
  const added = (file: PushFile) => {
    batch.push(file);
    sent += file.data.length;
    sliceBytes += file.data.length + HEADER_BYTES;
  };

  for (const path of toPush) {
    if (failure) break;
    const meta = files.get(path)!;
    remainingBytes -= scannedBytes(path, meta);
    if (meta.type === 'symlink') {
      const target = meta.target ?? '';
      await makeRoom(tarEntryBytes(path, 0, target));
      writer.addSymlink(path, target);
      added({ path, data: Buffer.from(target), symlink: true });
    } else {
      const file = openRegular(join(o.root, path));
      if (!file) continue; // gone (or swapped for something else) since the scan
      try {
        if (file.size > o.caps.maxFileBytes) {
          issues.push({ path, reason: `larger than ${mb(o.caps.maxFileBytes)}` });
          continue;
        }
        await makeRoom(tarEntryBytes(path, file.size));
        const data = writer.addFile(path, file.mode, file.size, (target) => readFully(file.fd, target));
        added({ path, data, mode: file.mode });
      } catch {
        continue; // unreadable now (an I/O error): left out like a file that went away
      } finally {
        closeSync(file.fd);
      }
    }
    if (sliceBytes >= READ_SLICE_BYTES) {
      sliceBytes = 0;
      await nextTurn();
    }
  }
  if (batch.length && !failure) {
    while (inFlight.size >= BATCHES_IN_FLIGHT) await Promise.race(inFlight);
    send(writer.finish(), batch);
  }
  await Promise.all(inFlight);
  if (failure) throw (failure as { error: unknown }).error;
  return sent;
}
