// The sync's archive rule, out of the tool layer: what an archive pushed by an editor may contain before a
// single byte of it reaches the sandbox. Every entry is checked first — a relative, normalised name under the
// shared sync path rule (no "..", nothing in .git/ or .suna/), only files, folders and symlinks whose target
// stays inside, per-entry and total size caps, an entry count cap — and one bad entry refuses the whole
// archive (SyncArchiveError, listing what to fix), so nothing is written. Throws domain errors; the tool
// adapter (tools/sync.ts) words them for the model.
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { symlinkTargetProblem, syncPathProblem } from '@suna/shared/boundary/sandbox-path';
import { parseTar, TarFormatError } from '@suna/shared/sync/tar';

export const SYNC_LIMITS = {
  /** Decoded (and unpacked) archive size of one push. */
  maxArchiveBytes: 96 * 1024 * 1024,
  maxEntryBytes: 64 * 1024 * 1024,
  maxEntries: 20_000,
  /** File contents returned by one pull (raw bytes; base64 adds a third), so a batch stays near 4 MB. */
  pullBatchBytes: 3 * 1024 * 1024,
  maxManifestEntries: 100_000,
  concurrency: 16,
};

export class SyncArchiveError extends Error {
  override readonly name = 'SyncArchiveError';
}

export interface ArchiveEntry {
  path: string;
  type: 'file' | 'symlink';
  /** A view into the archive (no copy). */
  data?: Buffer;
  target?: string;
  mode: number;
}

export interface SyncArchive {
  entries: ArchiveEntry[];
  /** Every folder the entries pass through (checked in the sandbox before extraction). */
  folders: string[];
  /** The archive as plain tar (unpacked when it came gzipped). */
  tar: Buffer;
  bytes: number;
}

/** Made on first use: zlib then loads with the first archive, not at start. */
let gunzipAsync: typeof gunzip.__promisify__ | undefined;
const MAX_PROBLEMS_SHOWN = 20;

/** Unpacks (gzip) and validates a whole archive; throws SyncArchiveError listing every bad entry, writing nothing. */
export async function readSyncArchive(raw: Buffer, limits = SYNC_LIMITS): Promise<SyncArchive> {
  let buf = raw;
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      // Off the main thread (libuv pool): the server keeps serving while an archive unpacks.
      buf = await (gunzipAsync ??= promisify(gunzip))(buf, { maxOutputLength: limits.maxArchiveBytes });
    } catch (err) {
      throw new SyncArchiveError(`archive is not valid gzip or is over ${limits.maxArchiveBytes} bytes unpacked: ${(err as Error).message}`);
    }
  }
  if (buf.length > limits.maxArchiveBytes) throw new SyncArchiveError(`archive is over ${limits.maxArchiveBytes} bytes; send smaller batches`);
  let raws;
  try {
    raws = parseTar(buf, { maxEntries: limits.maxEntries });
  } catch (err) {
    if (!(err instanceof TarFormatError)) throw err;
    const many = /more than \d+ entries/.test(err.message);
    throw new SyncArchiveError(many ? `archive refused, nothing was written: ${err.message}; send smaller batches` : `archive is not a valid tar file: ${err.message}`);
  }
  const entries: ArchiveEntry[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  const folders = new Set<string>();
  let bytes = 0;
  for (const h of raws) {
    const name = h.name.replace(/^\.\//, '').replace(/\/$/, '');
    const bad = (why: string) => problems.push(`${JSON.stringify(h.name.slice(0, 300))}: ${why}`);
    if (h.type === '5') {
      const problem = name === '' ? null : syncPathProblem(name);
      if (problem) bad(problem);
      else if (name !== '') folders.add(name); // checked in the sandbox like the folders entries pass through
      continue;
    }
    if (h.type !== '0' && h.type !== '2') {
      bad(`entry type ${describeType(h.type)} is not allowed (only files, folders and symlinks)`);
      continue;
    }
    const problem = syncPathProblem(name) ?? (seen.has(name) ? 'appears twice' : null);
    if (problem) {
      bad(problem);
      continue;
    }
    seen.add(name);
    if (h.type === '0') {
      if (h.size > limits.maxEntryBytes) {
        bad(`over the ${limits.maxEntryBytes} byte per-file limit`);
        continue;
      }
      bytes += h.size;
      entries.push({ path: name, type: 'file', data: h.data, mode: h.mode & 0o111 ? 0o755 : 0o644 });
    } else {
      const linkProblem = symlinkTargetProblem(name, h.linkname);
      if (linkProblem) {
        bad(linkProblem);
        continue;
      }
      entries.push({ path: name, type: 'symlink', target: h.linkname, mode: 0o777 });
    }
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) folders.add(parts.slice(0, i).join('/'));
  }
  if (problems.length) {
    const shown = problems.slice(0, MAX_PROBLEMS_SHOWN).join('; ');
    const more = problems.length > MAX_PROBLEMS_SHOWN ? ` (and ${problems.length - MAX_PROBLEMS_SHOWN} more)` : '';
    throw new SyncArchiveError(`archive refused, nothing was written: ${shown}${more}`);
  }
  return { entries, folders: [...folders], tar: buf, bytes };
}

const TYPE_NAMES: Record<string, string> = { '1': 'link (hard link)', '3': 'character-device', '4': 'block-device', '6': 'fifo', '7': 'contiguous-file' };

function describeType(t: string): string {
  return TYPE_NAMES[t] ?? (/^[\x20-\x7e]$/.test(t) ? JSON.stringify(t) : 'unknown');
}
