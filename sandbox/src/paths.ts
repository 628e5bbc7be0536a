// The path policy: the one place that decides whether a path a tool was given names something in the
// workspace. Every tool that takes a path calls `resolveWorkspacePath`. The daemon then checks the same
// rule against the real filesystem (symlinks resolved), so a link cannot lead outside either.
import { posix } from 'node:path';

export const WORKSPACE_ROOT = '/workspace';
const MAX_PATH_LENGTH = 4096;

export class PathPolicyError extends Error {
  override readonly name = 'PathPolicyError';
}

/**
 * Resolve `input` (relative to /workspace, or absolute inside it) to an absolute, normalised POSIX path.
 * Throws PathPolicyError with a message that says what to send instead.
 */
export function resolveWorkspacePath(input: unknown, { allowRoot = true } = {}): string {
  if (typeof input !== 'string') throw new PathPolicyError(`path must be a string relative to ${WORKSPACE_ROOT}, e.g. "src/app.py"`);
  const raw = input.trim() === '' ? '.' : input;
  if (raw.length > MAX_PATH_LENGTH) throw new PathPolicyError(`path is longer than ${MAX_PATH_LENGTH} characters; use a shorter path relative to ${WORKSPACE_ROOT}`);
  if (raw.includes('\0')) throw new PathPolicyError('path contains a NUL byte; send the plain path without control characters');
  if (raw.includes('\\'))
    throw new PathPolicyError(`path "${raw}" contains a backslash; use forward slashes, relative to ${WORKSPACE_ROOT}`);
  if (/^[a-zA-Z]:([\\/]|$)/.test(raw)) throw new PathPolicyError(`"${raw}" looks like a Windows drive path; paths are relative to ${WORKSPACE_ROOT}`);
  if (/%(2e|2f|5c|00|25)/i.test(raw))
    throw new PathPolicyError(`path "${raw}" contains URL-encoded characters; paths are not URL-decoded, send the plain path`);
  if (raw.startsWith('~')) throw new PathPolicyError(`"${raw}" points into a home directory; only ${WORKSPACE_ROOT} is reachable by file tools`);

  const absolute = posix.isAbsolute(raw) ? posix.normalize(raw) : posix.normalize(posix.join(WORKSPACE_ROOT, raw));
  const resolved = absolute.length > 1 ? absolute.replace(/\/+$/, '') : absolute;
  // Compare whole segments: "/workspace_evil" shares a prefix with "/workspace" but is outside it.
  const inside = resolved === WORKSPACE_ROOT || resolved.startsWith(WORKSPACE_ROOT + '/');
  if (!inside)
    throw new PathPolicyError(`path "${raw}" is outside the workspace; use a path relative to ${WORKSPACE_ROOT} (e.g. "src/app.py")`);
  if (!allowRoot && resolved === WORKSPACE_ROOT) throw new PathPolicyError('this operation needs a path inside the workspace, not the workspace itself');
  return resolved;
}

/** The path as the model should see it: relative to the workspace ("." for the root). */
export function displayPath(absolute: string): string {
  if (absolute === WORKSPACE_ROOT) return '.';
  return absolute.startsWith(WORKSPACE_ROOT + '/') ? absolute.slice(WORKSPACE_ROOT.length + 1) : absolute;
}
