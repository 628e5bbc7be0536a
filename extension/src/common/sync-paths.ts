// Which paths sync may touch, and which coming back need the user's approval. One place, used by the
// planner, the workspace writer and (mirrored) the server's archive validation.

export const MAX_SYNC_PATH_LENGTH = 1024;

/** Top-level folders that never sync: git's own data, and the server's scratch space in /workspace. */
const NEVER_SYNCED_TOP = new Set(['.git', '.suna']);

/**
 * Why `p` is not an acceptable workspace-relative path, or null when it is. Accepted: POSIX separators,
 * relative, normalised (no "", ".", ".." segments), no NUL or control characters, no `.git` segment at
 * any depth (nested repositories' data is never written either).
 */
export function pathProblem(p: string): string | null {
  if (typeof p !== 'string' || p.length === 0) return 'empty path';
  if (p.length > MAX_SYNC_PATH_LENGTH) return `longer than ${MAX_SYNC_PATH_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(p)) return 'contains control characters';
  if (p.includes('\\')) return 'contains a backslash';
  if (p.startsWith('/') || /^[a-zA-Z]:/.test(p)) return 'is absolute';
  const segments = p.split('/');
  for (const s of segments) {
    if (s === '' || s === '.') return 'is not normalised';
    if (s === '..') return 'leaves the workspace (..)';
    if (s.toLowerCase() === '.git') return 'is inside .git';
  }
  if (NEVER_SYNCED_TOP.has(segments[0]!)) return `is inside ${segments[0]}/, which never syncs`;
  return null;
}

export function isSyncablePath(p: string): boolean {
  return pathProblem(p) === null;
}

const RC_FILES = new Set([
  '.bashrc',
  '.bash_profile',
  '.bash_login',
  '.bash_logout',
  '.profile',
  '.zshrc',
  '.zshenv',
  '.zprofile',
  '.zlogin',
  '.zlogout',
  '.cshrc',
  '.tcshrc',
  '.kshrc',
  '.mkshrc',
  '.inputrc',
]);

const SENSITIVE_NAMES = new Set(['.envrc', '.npmrc', '.yarnrc', '.yarnrc.yml', '.pypirc', '.netrc', ...RC_FILES]);

/**
 * Files that configure the user's editor or shell and so can run code on the host: an agent change to
 * one waits for the user's approval instead of being applied. Matched at any depth (direnv and npm read
 * nested ones; a multi-root workspace has nested .vscode folders).
 */
export function isSensitivePath(p: string): boolean {
  const segments = p.split('/');
  const name = segments[segments.length - 1]!;
  if (segments.slice(0, -1).some((s) => s === '.vscode' || s === '.devcontainer')) return true;
  if (name === '.vscode' || SENSITIVE_NAMES.has(name)) return true;
  if (segments[0] === '.git' && segments[1] === 'hooks') return true; // never written anyway; listed for clarity
  return segments.length >= 3 && segments.at(-2) === 'fish' && segments.at(-3) === '.config';
}

/** A path as a tool got it ("src/a.ts", "./src/a.ts", "/workspace/src/a.ts") made workspace-relative; null when unusable. */
export function toWorkspaceRelative(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const p = v.replace(/^\/workspace(\/|$)/, '').replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  return pathProblem(p) ? null : p;
}

/** Workspace-relative paths a file tool call changed, or null when that cannot be told from its arguments. */
export function changedPaths(tool: string, args: Record<string, unknown>): string[] | null {
  const all = (...keys: string[]) => {
    const out = keys.map((k) => toWorkspaceRelative(args[k]));
    return out.every((p) => p !== null) ? (out as string[]) : null;
  };
  switch (tool) {
    case 'file_write':
    case 'file_edit':
      return all('path');
    case 'file_delete':
      return args.recursive ? null : all('path');
    case 'file_move':
      return all('from', 'to');
    default:
      return null;
  }
}
