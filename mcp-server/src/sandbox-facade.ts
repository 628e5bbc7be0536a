// The sandbox as a tool sees it: file, command and process operations bound to the call's AbortSignal, with the
// default timeouts of sandbox/src/op-timeouts.ts, base64 decoded here, and daemon refusals turned into
// ToolErrors by the one mapper (errors.ts). Paths are absolute and already through the path policy.
// (Undefined options are left in the requests: JSON drops them on the wire.)
import { CheckpointError, DAEMON_GRACE_MS, DAEMON_OP_TIMEOUT_MS, WORKSPACE_ROOT, type CheckpointInfo, type DaemonOp, type DaemonOps, type ExecArgs, type ExecResult, type FileEntry, type FileStat, type ManifestEntry, type ProcessInfo, type Sandbox } from '@suna/sandbox';
import { toToolError, ToolError } from './errors.js';

const decode = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');

/** A head + tail excerpt of a command's stream, decoded as UTF-8. */
export interface TextCapture {
  head: string;
  tail: string;
  totalBytes: number;
}

export type ExecRequest = Omit<ExecArgs, 'spillPath' | 'cwd' | 'stream'> & {
  cwd?: string;
  spillDir?: string;
  /** Output while the command runs, in chunks (the daemon batches them); only when someone shows it. */
  onOutput?: (chunk: Buffer) => void;
};
export type ExecOutcome = Omit<ExecResult, 'stdout' | 'stderr'> & { stdout: TextCapture; stderr: TextCapture };

export interface SandboxFiles {
  /** Up to `maxBytes` of a file (from `offset`); `truncated` when the file goes on. */
  read(path: string, opts: { maxBytes: number; offset?: number }): Promise<{ data: Buffer; size: number; truncated: boolean }>;
  /** A page of lines chosen in the sandbox; `text` is the lines joined by "\n". */
  readLines(path: string, opts: Omit<DaemonOps['readLines'][0], 'path'>): Promise<Omit<DaemonOps['readLines'][1], 'data'> & { text: string }>;
  /** Write bytes (or UTF-8 text), creating parent directories unless told otherwise. */
  write(path: string, data: Buffer | string, opts?: { mkdirs?: boolean; exclusive?: boolean; mode?: number; timeoutMs?: number }): Promise<{ bytes: number; created: boolean }>;
  stat(path: string): Promise<FileStat | null>;
  list(path: string, opts: { depth: number; maxEntries: number; respectIgnore: boolean; timeoutMs?: number }): Promise<{ entries: FileEntry[]; truncated: boolean }>;
  manifest(path: string, opts: Omit<DaemonOps['manifest'][0], 'path'>): Promise<{ entries: ManifestEntry[]; truncated: boolean; skipped: string[] }>;
  remove(path: string, opts?: { recursive?: boolean }): Promise<{ removed: boolean }>;
  move(from: string, to: string, opts?: { overwrite?: boolean }): Promise<{ moved: boolean }>;
  mkdir(path: string): Promise<{ created: boolean }>;
  /** Extract a tar the host validated into `root` (after the daemon checks `folders` stay inside); sent raw. */
  extract(root: string, tar: Uint8Array, opts: { folders: string[]; timeoutMs: number }): Promise<{ exitCode: number; stderr: string }>;
}

export interface SandboxProcesses {
  start(command: string, opts?: { cwd?: string; env?: Record<string, string>; name?: string }): Promise<ProcessInfo>;
  /** New output since `offset`, waiting up to `waitMs` for some; `text` decoded. */
  output(processId: string, opts: { offset: number; waitMs: number; maxBytes: number }): Promise<Omit<DaemonOps['output'][1], 'data'> & { text: string }>;
  input(processId: string, text: string): Promise<{ written: number }>;
  kill(processId: string, signal?: string): Promise<ProcessInfo>;
  list(): Promise<ProcessInfo[]>;
}

/** The checkpoint store (sandbox/src/checkpoints.ts) for one call; `keep` names the checkpoints retention must spare. */
export interface SandboxCheckpoints {
  create(label: string | undefined, keep: () => string[]): Promise<CheckpointInfo>;
  list(): Promise<{ checkpoints: CheckpointInfo[]; totalBytes: number }>;
  diff(from: string, to: string | undefined, limits: { maxEntries: number; maxFileBytes: number; maxTextBytes: number }): ReturnType<Sandbox['checkpoints']['diff']>;
  /** Checkpoints the present first, stops every process, restores both trees (Sandbox.restore). */
  restore(id: string, keep: () => string[]): ReturnType<Sandbox['restore']>;
  /** Only these store entries ("workspace/…", "home/…", checked by the caller) go back; nothing is stopped. */
  restorePaths(id: string, entries: string[]): Promise<{ warnings: string[] }>;
}

/** The Python kernel of code_run (sandbox/daemon/kernel.ts); its answer is the driver's, checked by the caller. */
export interface SandboxCode {
  run(args: Parameters<Sandbox['codeRun']>[0]): ReturnType<Sandbox['codeRun']>;
  reset(): Promise<DaemonOps['codeReset'][1]>;
}

export interface SandboxFacade {
  fs: SandboxFiles;
  code: SandboxCode;
  checkpoints: SandboxCheckpoints;
  /** Run a command (bash -c `command`, or `argv` without a shell) in /workspace unless `cwd` says otherwise. */
  exec(req: ExecRequest): Promise<ExecOutcome>;
  proc: SandboxProcesses;
}

/** Bind the sandbox to one call: every operation carries `signal`, its default timeout, and the error mapper. */
export function bindSandbox(sandbox: Sandbox, signal: AbortSignal): SandboxFacade {
  const call = <K extends DaemonOp>(op: K, args: DaemonOps[K][0], timeoutMs: number = DAEMON_OP_TIMEOUT_MS[op], payload?: Uint8Array): Promise<DaemonOps[K][1]> =>
    sandbox.call(op, args, { signal, timeoutMs, payload }).catch((err: unknown) => Promise.reject(toToolError(err)));

  const fs: SandboxFiles = {
    async read(path, { maxBytes, offset }) {
      const r = await call('read', { path, maxBytes, offset });
      return { data: Buffer.from(r.data, 'base64'), size: r.size, truncated: r.truncated };
    },
    async readLines(path, opts) {
      const { data, ...rest } = await call('readLines', { path, ...opts });
      return { ...rest, text: decode(data) };
    },
    write: (path, data, { mkdirs = true, exclusive, mode, timeoutMs } = {}) =>
      call('write', { path, data: Buffer.from(data).toString('base64'), mkdirs, exclusive, mode }, timeoutMs),
    stat: (path) => call('stat', { path }),
    list: (path, { timeoutMs, ...opts }) => call('listdir', { path, ...opts }, timeoutMs),
    manifest: (path, opts) => call('manifest', { path, ...opts }),
    remove: (path, { recursive } = {}) => call('remove', { path, recursive }),
    move: (from, to, { overwrite } = {}) => call('move', { from, to, overwrite }),
    mkdir: (path) => call('mkdir', { path }),
    extract: (root, tar, { folders, timeoutMs }) => call('extract', { root, folders, timeoutMs }, timeoutMs + DAEMON_GRACE_MS, tar),
  };

  const proc: SandboxProcesses = {
    start: (command, { cwd = WORKSPACE_ROOT, env, name } = {}) => call('start', { command, cwd, env, name }),
    async output(processId, { offset, waitMs, maxBytes }) {
      const { data, ...rest } = await call('output', { processId, offset, waitMs, maxBytes }, waitMs + DAEMON_GRACE_MS);
      return { ...rest, text: decode(data) };
    },
    input: (processId, text) => call('input', { processId, data: Buffer.from(text).toString('base64') }),
    kill: (processId, sig) => call('kill', { processId, signal: sig }),
    list: () => call('list', {}),
  };

  async function exec({ cwd = WORKSPACE_ROOT, onOutput, ...req }: ExecRequest): Promise<ExecOutcome> {
    const r = await sandbox.exec({ ...req, cwd }, signal, onOutput).catch((err: unknown) => Promise.reject(toToolError(err)));
    const text = (c: ExecResult['stdout']): TextCapture => ({ head: decode(c.head), tail: decode(c.tail), totalBytes: c.totalBytes });
    return { ...r, stdout: text(r.stdout), stderr: text(r.stderr) };
  }

  /** Store errors carry words for the model; the store's default timeouts are in op-timeouts.ts (CHECKPOINT_OP_TIMEOUT_MS). */
  const store = <T>(p: Promise<T>): Promise<T> => p.catch((err: unknown) => Promise.reject(err instanceof CheckpointError ? new ToolError(err.message) : toToolError(err)));
  const checkpoints: SandboxCheckpoints = {
    create: (label, keep) => store(sandbox.checkpoints.create(label, keep, signal)),
    list: () => store(sandbox.checkpoints.list(signal)),
    diff: (from, to, limits) => store(sandbox.checkpoints.diff(from, to, limits, signal)),
    restore: (id, keep) => store(sandbox.restore(id, keep, signal)),
    restorePaths: (id, entries) => store(sandbox.checkpoints.restore(id, entries)),
  };

  const code: SandboxCode = {
    run: (args) => sandbox.codeRun(args, signal).catch((err: unknown) => Promise.reject(toToolError(err))),
    reset: () => call('codeReset', {}),
  };

  return { fs, code, exec, proc, checkpoints };
}
