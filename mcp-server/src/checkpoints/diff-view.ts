// What sandbox_diff shows, made from the store's raw answer. Every name in it comes from a tree the agent
// controls: it is decoded strictly (UTF-8), judged by the boundary rule (sandboxPathProblem), and a name that fails
// is shown JSON-quoted with the reason, so no control character, newline or fake header reaches the reader as text.
import { createTwoFilesPatch } from 'diff';
import { HOME_DIR, WORKSPACE_ROOT, type RawDiffEntry } from '@suna/sandbox';
import { quotePath, sandboxPathProblem } from '@suna/shared';

export const DIFF_LIMITS = { maxEntries: 2000, maxFileBytes: 64 * 1024, maxTextBytes: 512 * 1024 };
/** Characters of unified diff per file, and in all: the list of paths always comes first. */
const MAX_PATCH_CHARS = 8_000;
const MAX_PATCHES_CHARS = 24_000;

export interface DiffItem {
  path: string;
  change: 'added' | 'changed' | 'removed';
  type: 'file' | 'dir' | 'symlink' | 'other';
  /** Why the name is unusual (then `path` is its quoted form); absent for ordinary names. */
  unusual?: string;
  /** The file's text at `from` (small UTF-8 text files, when asked for: an editor's diff view). */
  before?: string;
}

const CHANGE = { A: 'added', M: 'changed', D: 'removed' } as const;
const TYPE = { f: 'file', d: 'dir', l: 'symlink', o: 'other' } as const;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function decodeName(b64: unknown): { path: string; unusual?: string } {
  if (typeof b64 !== 'string' || b64.length > 8192) return { path: '"?"', unusual: 'malformed entry' };
  const bytes = Buffer.from(b64, 'base64');
  let name: string;
  try {
    name = strictUtf8.decode(bytes);
  } catch {
    return { path: quotePath(bytes.toString('latin1')), unusual: 'not valid UTF-8' };
  }
  const slash = name.indexOf('/');
  const root = name.slice(0, slash);
  const rel = name.slice(slash + 1);
  const base = root === 'workspace' ? WORKSPACE_ROOT : root === 'home' ? HOME_DIR : null;
  if (slash < 0 || !base) return { path: quotePath(name), unusual: 'outside the checkpointed trees' };
  const problem = sandboxPathProblem(rel);
  return problem ? { path: quotePath(`${base}/${rel}`), unusual: problem } : { path: `${base}/${rel}` };
}

export interface DiffView {
  items: DiffItem[];
  total: number;
  text: string;
}

export function renderDiff(raw: { entries?: unknown; total?: unknown }, from: string, to: string | undefined, opts: { withBefore?: boolean } = {}): DiffView {
  const entries = Array.isArray(raw.entries) ? (raw.entries.slice(0, DIFF_LIMITS.maxEntries) as RawDiffEntry[]) : [];
  const total = typeof raw.total === 'number' && Number.isFinite(raw.total) ? raw.total : entries.length;
  const items: DiffItem[] = [];
  const patches: string[] = [];
  let patchChars = 0;
  for (const e of entries) {
    const change = CHANGE[e?.c as keyof typeof CHANGE];
    const type = TYPE[e?.t as keyof typeof TYPE];
    if (!change || !type) continue;
    const name = decodeName(e.p);
    const before = opts.withBefore && !name.unusual && type === 'file' && typeof e.a === 'string' && typeof e.b === 'string' ? strictText(e.a) : null;
    items.push({ path: name.path, change, type, ...(name.unusual ? { unusual: name.unusual } : {}), ...(before !== null ? { before } : {}) });
    if (name.unusual || typeof e.a !== 'string' || typeof e.b !== 'string' || patchChars >= MAX_PATCHES_CHARS) continue;
    const a = strictText(e.a);
    const b = strictText(e.b);
    if (a === null || b === null) continue;
    let patch = createTwoFilesPatch(`${from}${name.path}`, `${to ?? 'now'}${name.path}`, a, b, undefined, undefined, { context: 3 });
    if (patch.length > MAX_PATCH_CHARS) patch = `${patch.slice(0, MAX_PATCH_CHARS)}\n… (diff of this file cut at ${MAX_PATCH_CHARS} characters)\n`;
    patchChars += patch.length;
    patches.push(patch);
  }
  const sign = { added: '+', changed: '~', removed: '-' } as const;
  const lines = [
    `${total} change${total === 1 ? '' : 's'} from ${from} to ${to ?? 'now'}${total > items.length ? ` (first ${items.length} listed)` : ''}:`,
    ...items.map((i) => `${sign[i.change]} ${i.path}${i.type === 'file' ? '' : ` (${i.type})`}${i.unusual ? ` [unusual name: ${i.unusual}]` : ''}`),
  ];
  if (patches.length) lines.push('', ...patches);
  if (patchChars >= MAX_PATCHES_CHARS) lines.push(`(further diffs left out; sandbox_diff with a later "from" narrows it down)`);
  return { items, total, text: lines.join('\n') };
}

/** A text file's content, or null for binary or non-UTF-8 content (listed, no diff). */
function strictText(b64: string): string | null {
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.includes(0)) return null;
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}
