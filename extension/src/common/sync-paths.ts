// Which paths coming back from the sandbox need the user's approval, and which paths a file tool call changed.
// Which paths sync may touch at all is the one rule in shared/src/boundary/sandbox-path.ts (syncPathProblem,
// isSyncablePath), applied by the server's sync tools and by the extension alike.
import { normaliseSegment, syncPathProblem } from '@suna/shared/boundary/sandbox-path';

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

const LEFTHOOK_CONFIGS = ['lefthook', '.lefthook', 'lefthook-local', '.lefthook-local'].flatMap((n) => ['yml', 'yaml', 'json', 'toml'].map((e) => `${n}.${e}`));

const SENSITIVE_NAMES = new Set([
  '.envrc',
  '.npmrc',
  '.yarnrc',
  '.yarnrc.yml',
  '.pypirc',
  '.netrc',
  '.pre-commit-config.yaml',
  '.pre-commit-config.yml',
  '.devcontainer.json',
  ...LEFTHOOK_CONFIGS,
  ...RC_FILES,
]);

/** Folders whose contents run on the host (editor config, git hooks managers, dev containers). */
const SENSITIVE_FOLDERS = new Set(['.vscode', '.devcontainer', '.husky', '.githooks']);

/**
 * Files that configure the user's editor, shell, git hooks or CI and so can run code on the host: an
 * agent change to one waits for the user's approval instead of being applied. Matched at any depth
 * (direnv and npm read nested ones; a multi-root workspace has nested .vscode folders), on normalised
 * names (case-folded, NFC, trailing dots and spaces dropped), so ".VSCode" or ".envrc." on a
 * case-insensitive file system are caught too.
 */
export function isSensitivePath(p: string): boolean {
  const segments = p.split('/').map(normaliseSegment);
  const name = segments[segments.length - 1]!;
  const folders = segments.slice(0, -1);
  if (folders.some((s) => SENSITIVE_FOLDERS.has(s))) return true;
  if (SENSITIVE_FOLDERS.has(name) || SENSITIVE_NAMES.has(name) || name.endsWith('.code-workspace')) return true;
  if (folders.some((s, i) => s === '.github' && folders[i + 1] === 'workflows')) return true;
  if (segments[0] === '.git' && segments[1] === 'hooks') return true; // never written anyway; listed for clarity
  return segments.length >= 3 && segments.at(-2) === 'fish' && segments.at(-3) === '.config';
}

/** A path as a tool got it ("src/a.ts", "./src/a.ts", "/workspace/src/a.ts") made workspace-relative; null when unusable. */
export function toWorkspaceRelative(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const p = v.replace(/^\/workspace(\/|$)/, '').replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  return syncPathProblem(p) ? null : p;
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
