// The errors a tool result can carry, and the one mapper from sandbox failures to messages the model can act
// on. A leaf module: domain code (web/, exchange/, sheets/) throws these without importing the tool layer.
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AbortedError, DaemonGoneError, DaemonRequestError, DockerUnavailableError, ImageBuildError, PathPolicyError } from '@suna/sandbox';

/** A failure the model can act on; the message says what to do. */
export class ToolError extends Error {
  override readonly name: string = 'ToolError';
}

/** A daemon refusal (ENOENT, EEXIST, …) worded for the model; `code` stays for callers that treat one case apart. */
export class SandboxFileError extends ToolError {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

const HINTS: Record<string, string> = {
  ENOENT: 'file_list shows what exists',
  EEXIST: 'choose another name or pass overwrite',
  EISDIR: 'this is a directory; use file_list',
  ENOTDIR: 'a parent of this path is a file, not a directory',
  EACCES: 'the sandbox user may not access it',
  ENOSPC: 'the sandbox is out of disk space; delete files or run sandbox_reset',
};

/** The one mapper: a daemon refusal becomes a SandboxFileError with the fix beside it; anything else passes through. */
export function toToolError(err: unknown): unknown {
  if (!(err instanceof DaemonRequestError)) return err;
  const hint = HINTS[err.code];
  return new SandboxFileError(err.code, `${err.message}${hint ? ` (${hint})` : ''}`);
}

/** Turn any error into the message the model sees. Nothing internal (stack, host paths, secrets) leaks. */
export function describeError(err: unknown): { message: string; internal: boolean } {
  const mapped = toToolError(err);
  if (mapped instanceof ToolError || mapped instanceof PathPolicyError || mapped instanceof DockerUnavailableError || mapped instanceof DaemonGoneError || mapped instanceof ImageBuildError)
    return { message: mapped.message, internal: false };
  if (mapped instanceof AbortedError) return { message: 'cancelled', internal: false };
  const msg = mapped instanceof Error ? mapped.message : String(mapped);
  if (/ENOSPC|no space left/i.test(msg)) return { message: `out of disk space: ${HINTS.ENOSPC}`, internal: false };
  return { message: `internal error: ${withoutHostPaths(msg.split('\n')[0]!)}`, internal: true };
}

/**
 * An unexpected error's text with the host's own directories (this server's files, the home directory, the working
 * directory) cut to "...": a module or file error names them, and the model has no business learning the host's
 * layout. The whole error goes to the host's log.
 */
export function withoutHostPaths(text: string): string {
  const roots = [dirname(fileURLToPath(import.meta.url)), homedir(), process.cwd()].filter((r) => r.length > 1).sort((a, b) => b.length - a.length);
  for (const r of roots) text = text.replace(new RegExp(`${r.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w.-])`, 'g'), '...');
  return text;
}

/** A catch handler that words one daemon refusal for this tool (`.catch(reword('EEXIST', '… pass overwrite'))`). */
export function reword(code: string, message: string): (err: unknown) => never {
  return (err) => {
    throw err instanceof SandboxFileError && err.code === code ? new ToolError(message) : err;
  };
}
