// Every path or name that comes out of the sandbox (a manifest entry, a daemon answer, a tar entry, a file
// list) is attacker-controlled: the agent, or whatever it ran, may have replaced the daemon. This is the one
// rule the host applies before such a name touches anything: the site copy, the extension's pull-back, the
// sync tools. Pure (no Node APIs), so the extension's common layer and the server share it.

/** Longest accepted path (characters) and path segment (UTF-8 bytes, NAME_MAX on Linux and macOS). */
export const MAX_SANDBOX_PATH_LENGTH = 1024;
export const MAX_SANDBOX_SEGMENT_BYTES = 255;

/** C0 and C1 controls, DEL, and the Unicode line/paragraph separators: never in a file name we accept. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const utf8 = new TextEncoder();

/** Why `p` is not a safe relative POSIX path, in words for the error message; null when it is one. */
export function sandboxPathProblem(p: unknown): string | null {
  if (typeof p !== 'string') return 'not a string';
  if (p.length === 0) return 'empty path';
  if (p.length > MAX_SANDBOX_PATH_LENGTH) return `longer than ${MAX_SANDBOX_PATH_LENGTH} characters`;
  if (p.includes('\0')) return 'contains a NUL byte';
  if (CONTROL.test(p)) return 'contains control characters';
  if (p.includes('\\')) return 'contains a backslash';
  if (p.startsWith('/') || /^[a-zA-Z]:/.test(p)) return 'is absolute';
  if (p.includes(':')) return 'contains ":" (a drive letter or an alternate data stream on Windows)';
  for (const s of p.split('/')) {
    if (s === '' || s === '.') return 'is not normalised (empty or "." segment)';
    if (s === '..') return 'leaves the workspace (..)';
    if (s.length * 3 > MAX_SANDBOX_SEGMENT_BYTES && utf8.encode(s).length > MAX_SANDBOX_SEGMENT_BYTES) return `has a segment longer than ${MAX_SANDBOX_SEGMENT_BYTES} bytes`;
  }
  return null;
}

/** A sandbox path refused at the boundary. The message names the (quoted, shortened) path and the rule. */
export class SandboxPathError extends Error {
  override readonly name = 'SandboxPathError';
  readonly code = 'BAD_SANDBOX_PATH';
  constructor(
    readonly path: unknown,
    readonly problem: string,
  ) {
    super(`refused path from the sandbox ${quotePath(path)}: ${problem}`);
  }
}

/** Throws SandboxPathError unless `p` passes sandboxPathProblem; narrows it to string. */
export function assertSandboxPath(p: unknown): asserts p is string {
  const problem = sandboxPathProblem(p);
  if (problem) throw new SandboxPathError(p, problem);
}

/** A path for an error message: JSON-quoted (controls visible) and cut to 120 characters. */
export function quotePath(p: unknown): string {
  const s = typeof p === 'string' ? p : String(p);
  // JSON escapes C0 controls but leaves DEL, C1 controls and the line/paragraph separators raw: escape them too.
  return JSON.stringify(s.length > 120 ? `${s.slice(0, 120)}…` : s).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A segment as a case-insensitive, normalising file system sees it (Windows, macOS): NFC, case-folded,
 * trailing dots and spaces dropped (Windows ignores them: ".git." opens ".git").
 */
export function normaliseSegment(s: string): string {
  return s.normalize('NFC').toLowerCase().replace(/[. ]+$/, '');
}

/** A Windows 8.3 short name ("GIT~1", "PROGRA~2.TXT") can alias any long name: never trusted. */
export function isShortNameAlias(segment: string): boolean {
  return /~\d/.test(segment);
}

/** Top-level folders that never sync: git's own data, and the server's scratch space in /workspace. */
const NEVER_SYNCED_TOP = new Set(['.git', '.suna']);

/**
 * The workspace-sync rule on top of sandboxPathProblem: no `.git` segment at any depth (nested
 * repositories' data is never written either), nothing under `.suna/`, and no 8.3 short-name segment
 * (which could be `.git` on Windows). Used by the extension (both directions) and the server's sync tools.
 */
export function syncPathProblem(p: unknown): string | null {
  const problem = sandboxPathProblem(p);
  if (problem) return problem;
  const segments = (p as string).split('/');
  for (const s of segments) {
    if (normaliseSegment(s) === '.git') return 'is inside .git';
    if (isShortNameAlias(s)) return `has a Windows short-name segment (${quotePath(s)})`;
  }
  const top = normaliseSegment(segments[0]!);
  if (NEVER_SYNCED_TOP.has(top)) return `is inside ${top}/, which never syncs`;
  return null;
}

/** True when `p` passes syncPathProblem: the one sync path rule, for the server's sync tools and the extension alike. */
export function isSyncablePath(p: unknown): p is string {
  return syncPathProblem(p) === null;
}

/**
 * Why a symlink at `linkPath` pointing to `target` is not kept inside the workspace, or null: absolute
 * targets, targets that climb above the root, and targets into .git/.suna are refused.
 */
export function symlinkTargetProblem(linkPath: string, target: unknown): string | null {
  if (typeof target !== 'string' || target === '') return 'symlink target is empty';
  if (target.length > 4096 || CONTROL.test(target)) return 'symlink target is too long or contains control characters';
  if (target.startsWith('/') || target.includes('\\') || /^[a-zA-Z]:/.test(target)) return `symlink target ${quotePath(target)} is absolute`;
  const parts: string[] = linkPath.split('/').slice(0, -1);
  for (const s of target.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') {
      if (parts.length === 0) return `symlink target ${quotePath(target)} leaves the workspace`;
      parts.pop();
    } else parts.push(s);
  }
  if (parts.length === 0) return null; // the workspace root itself
  const inside = syncPathProblem(parts.join('/'));
  return inside ? `symlink target ${quotePath(target)} points where sync never goes (${inside})` : null;
}
