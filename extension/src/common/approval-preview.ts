// What an approval card shows about the call it asks for: the diff a file_write / file_edit would make
// (against the workspace copy the sandbox mirrors), the command of shell_*, the address of browser_*.
// Display only: whether a call asks is approvals.ts's business, never decided here. Bounded: a huge file
// or a huge diff gets a note instead of freezing the panel.
import { posix } from 'node:path';
import { createTwoFilesPatch } from 'diff';

export type ApprovalPreview =
  | { kind: 'diff'; path: string; patch: string; added: number; removed: number; note?: string }
  | { kind: 'command'; command: string; cwd?: string }
  | { kind: 'url'; url: string };

/** Before and after texts of a file change, for VS Code's diff editor ("Open diff"). */
export interface FileChange {
  path: string;
  before: string;
  after: string;
}

/** Files larger than this are not diffed (the card says so). */
export const MAX_PREVIEW_FILE_CHARS = 1_000_000;
/** The inline patch is cut after this many lines. */
export const MAX_PATCH_LINES = 400;

interface Edit {
  old_text: string;
  new_text: string;
  replace_all?: boolean;
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** The path a file tool writes, for reading the current text (undefined for other tools). */
export function changedPath(name: string, args: Record<string, unknown>): string | undefined {
  return name === 'file_write' || name === 'file_edit' ? str(args.path) : undefined;
}

/** A tool's path argument (relative, or under /workspace) as a workspace-relative path; undefined when it leaves the workspace. */
export function workspaceRelativePath(path: string): string | undefined {
  if (!path || path.includes('\0') || path.includes('\\')) return undefined;
  const rel = path.startsWith('/') ? (path === '/workspace' || path.startsWith('/workspace/') ? path.slice('/workspace'.length) : undefined) : path;
  if (rel === undefined) return undefined;
  const normal = posix.normalize(`./${rel}`).replace(/\/+$/, '');
  return normal && normal !== '.' && normal !== '..' && !normal.startsWith('../') && !normal.startsWith('/') ? normal : undefined;
}

/**
 * The preview of a call, and for file changes the full before/after. `current` is the file's text in the
 * workspace (undefined: no such file, or unreadable / too large).
 */
export function previewOf(name: string, args: Record<string, unknown>, current: string | undefined): { preview?: ApprovalPreview; change?: FileChange } {
  if (name.startsWith('shell_') && str(args.command)) return { preview: { kind: 'command', command: str(args.command)!, ...(str(args.cwd) ? { cwd: str(args.cwd)! } : {}) } };
  if (name.startsWith('browser_') && str(args.url)) return { preview: { kind: 'url', url: str(args.url)! } };
  const path = changedPath(name, args);
  if (!path) return {};
  if (name === 'file_write') {
    const content = str(args.content) ?? '';
    if (args.encoding === 'base64') return diffPreview(path, current ?? '', '', 'binary content (base64): no text diff');
    return diffPreview(path, current ?? '', content, current === undefined ? 'a new file' : undefined);
  }
  const edits = Array.isArray(args.edits) ? (args.edits as unknown[]).filter(isEdit) : [];
  const applied = current === undefined ? undefined : applyEdits(current, edits);
  if (applied !== undefined) return diffPreview(path, current!, applied);
  // Not in the local copy (or it differs from the sandbox's): show what is replaced by what.
  const note = current === undefined ? 'not in the local workspace: showing the replaced text only' : 'the local copy differs from the sandbox: showing the replaced text only';
  const joined = (texts: string[]) => texts.map((t) => (t.endsWith('\n') ? t : `${t}\n`)).join('');
  return diffPreview(path, joined(edits.map((e) => e.old_text)), joined(edits.map((e) => e.new_text)), note);
}

function isEdit(v: unknown): v is Edit {
  return typeof v === 'object' && v !== null && typeof (v as Edit).old_text === 'string' && typeof (v as Edit).new_text === 'string';
}

/** The server's rule (each old_text once, or everywhere with replace_all); undefined when it would refuse. */
function applyEdits(text: string, edits: Edit[]): string | undefined {
  let out = text;
  for (const e of edits) {
    if (!e.old_text) return undefined;
    const count = out.split(e.old_text).length - 1;
    if (count === 0 || (count > 1 && !e.replace_all)) return undefined;
    out = e.replace_all ? out.split(e.old_text).join(e.new_text) : out.replace(e.old_text, () => e.new_text);
  }
  return out;
}

function diffPreview(path: string, before: string, after: string, note?: string): { preview: ApprovalPreview; change?: FileChange } {
  if (before.length > MAX_PREVIEW_FILE_CHARS || after.length > MAX_PREVIEW_FILE_CHARS)
    return { preview: { kind: 'diff', path, patch: '', added: 0, removed: 0, note: 'too large to show inline: use Open diff' }, change: { path, before, after } };
  const lines = createTwoFilesPatch(`a/${path}`, `b/${path}`, before, after, undefined, undefined, { context: 3 }).split('\n').slice(3);
  let added = 0;
  let removed = 0;
  for (const l of lines) {
    if (l.startsWith('+')) added++;
    else if (l.startsWith('-')) removed++;
  }
  const cut = lines.length > MAX_PATCH_LINES;
  const patch = (cut ? [...lines.slice(0, MAX_PATCH_LINES), `… ${lines.length - MAX_PATCH_LINES} more lines: use Open diff`] : lines).join('\n').replace(/\n+$/, '');
  return { preview: { kind: 'diff', path, patch, added, removed, ...(note ? { note } : {}) }, change: { path, before, after } };
}
