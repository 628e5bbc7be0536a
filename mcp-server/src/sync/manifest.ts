// The host's reading of a daemon manifest answer: attacker data from the sandbox. Each entry is passed on only
// with a syncable path (the shared sync rule), a known type, sane numbers, a sha256 and a bounded target; the
// count is capped by what was asked for.
import type { ManifestEntry } from '@suna/sandbox';
import { syncPathProblem } from '@suna/shared/boundary/sandbox-path';
import { SYNC_LIMITS } from './archive.js';

export interface SaneManifest {
  entries: ManifestEntry[];
  truncated: boolean;
  skipped: string[];
}

/** The entries of a daemon manifest answer the host can pass on; anything malformed or badly named is left out. */
export function saneManifestEntries(answer: unknown): ManifestEntry[] {
  const entries = (answer as { entries?: unknown } | null)?.entries;
  return Array.isArray(entries) ? entries.filter(isSaneManifestEntry) : [];
}

/** The whole answer, cut to `limit` entries (and the skipped list to the manifest cap). */
export function saneManifest(answer: unknown, limit: number): SaneManifest {
  const all = saneManifestEntries(answer);
  const r = answer as { truncated?: unknown; skipped?: unknown } | null;
  const skipped = (Array.isArray(r?.skipped) ? r.skipped : []).filter((p): p is string => syncPathProblem(p) === null).slice(0, SYNC_LIMITS.maxManifestEntries);
  return { entries: all.slice(0, limit), truncated: r?.truncated === true || all.length > limit, skipped };
}

function isSaneManifestEntry(e: unknown): e is ManifestEntry {
  if (typeof e !== 'object' || e === null) return false;
  const m = e as Record<string, unknown>;
  return (
    syncPathProblem(m.path) === null &&
    (m.type === 'file' || m.type === 'symlink') &&
    Number.isSafeInteger(m.size) && (m.size as number) >= 0 &&
    Number.isSafeInteger(m.mode) &&
    typeof m.sha256 === 'string' && /^[0-9a-f]{64}$/.test(m.sha256) &&
    (m.target === undefined || (typeof m.target === 'string' && m.target.length <= 4096 && !m.target.includes('\0')))
  );
}
