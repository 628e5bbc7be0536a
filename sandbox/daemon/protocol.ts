// The wire protocol between the host (SandboxDaemonClient) and the in-sandbox daemon.
// One newline-delimited JSON message per line, both ways, over the stdin/stdout of one attached exec.
// Binary payloads travel as base64, except sync archives (host → daemon) and tunnel bytes (both ways), which
// travel raw as binary frames (framing.ts). A request without an id is a notification (only the ops that are
// one: NOTIFICATION_OPS in dispatch.ts), never answered.

export const DAEMON_PROTOCOL_VERSION = 3;

export interface ExecArgs {
  /** Shell command run with `bash -c`, or an argv array run without a shell (no injection possible). */
  command?: string;
  argv?: string[];
  cwd: string;
  env?: Record<string, string>;
  timeoutMs: number;
  /** In-memory cap per stream (head + tail are kept); beyond it the full output is spilled to `spillPath`. */
  capBytes: number;
  spillPath?: string;
  spillMaxBytes?: number;
  stdin?: string;
  /** Also send the output as it comes (`execOutput` events, batched, bounded) for a live view. */
  stream?: boolean;
}

/** Live output of one exec: at most this many bytes per event, and this many per exec in all. */
export const EXEC_STREAM_CHUNK_BYTES = 16 * 1024;
export const EXEC_STREAM_MAX_BYTES = 2 * 1024 * 1024;

export interface ExecResult {
  exitCode: number | null;
  signal: string | null;
  stdout: StreamCapture;
  stderr: StreamCapture;
  durationMs: number;
  timedOut: boolean;
  cancelled: boolean;
  oomKilled: boolean;
  /** Where the whole (interleaved) output was written, when it exceeded the cap. */
  spilledTo?: string;
}

export interface StreamCapture {
  head: string; // base64
  tail: string; // base64
  totalBytes: number;
}

export interface ProcessInfo {
  processId: string;
  name: string;
  command: string;
  pid: number;
  running: boolean;
  exitCode: number | null;
  signal: string | null;
  startedAt: number;
  outputBytes: number;
}

export interface OutputArgs {
  processId: string;
  offset?: number;
  waitMs?: number;
  maxBytes?: number;
}

export interface OutputResult {
  data: string; // base64
  offset: number; // where `data` starts (may be > requested when old output was dropped)
  nextOffset: number;
  droppedBytes: number;
  running: boolean;
  exitCode: number | null;
  signal: string | null;
}

/** code_run: one cell in the persistent kernel (sandbox/daemon/kernel.ts → sandbox/kernel/driver.py). */
export interface CodeRunArgs {
  runId: string;
  code: string;
  timeoutMs: number;
  /** Characters kept per stream (head + tail). */
  capChars: number;
  /** Where figures are saved in the sandbox (under the workspace). */
  figureDir: string;
}

export interface CodeStream {
  head: string;
  tail: string;
  total: number;
}

export type CodeDisplay = { kind: 'text'; text: string } | { kind: 'image'; data: string /* base64 PNG */; width: number; height: number; path: string | null };

export interface CodeRunResult {
  /** ok | error (an exception) | timeout / cancelled (interrupted) | died (the kernel ended during the run). */
  status: 'ok' | 'error' | 'timeout' | 'cancelled' | 'died';
  /** Why the kernel was started afresh during this call (its variables are gone), or null. */
  restart: null | 'died' | 'unresponsive' | 'driver';
  executionCount: number | null;
  stdout: CodeStream;
  stderr: CodeStream;
  result: string | null;
  displays: CodeDisplay[];
  error: { ename: string; evalue: string; traceback: string } | null;
  /** The sandbox's OOM-kill count went up during the call. */
  oomKilled: boolean;
}

export interface FileEntry {
  path: string; // relative to the listed root
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
}

export interface ManifestEntry {
  path: string; // relative to the manifest root
  type: 'file' | 'symlink';
  size: number;
  mtimeMs: number;
  mode: number;
  sha256: string; // of the content (for a symlink: of its target string)
  target?: string; // symlink target
}

export interface FileStat {
  path: string;
  type: FileEntry['type'];
  size: number;
  mtimeMs: number;
  mode: number;
}

/** Requests: op → [args, result]. Adding an op is adding a line here and a handler in the daemon. */
export interface DaemonOps {
  hello: [Record<string, never>, { version: number; pid: number; uid: number; node: string; workspace: string }];
  exec: [ExecArgs & { execId: string }, ExecResult];
  cancel: [{ execId: string; signal?: string }, { found: boolean }];
  start: [{ command: string; cwd: string; env?: Record<string, string>; name?: string }, ProcessInfo];
  output: [OutputArgs, OutputResult];
  input: [{ processId: string; data: string /* base64 */ }, { written: number }];
  kill: [{ processId: string; signal?: string }, ProcessInfo];
  list: [Record<string, never>, ProcessInfo[]];
  read: [{ path: string; maxBytes: number; offset?: number }, { data: string; size: number; truncated: boolean }];
  /** Lines `fromLine`… of a text file (at most maxLines, each cut at maxLineBytes, the page within maxBytes), chosen
   *  in the sandbox, with the file's line count. `data`: the lines joined by \n (base64). A binary file: no lines. */
  readLines: [
    { path: string; fromLine: number; maxLines: number; maxLineBytes: number; maxBytes: number },
    { data: string; fromLine: number; lines: number; cutLines: number; totalLines: number; size: number; binary: boolean },
  ];
  write: [{ path: string; data: string; mkdirs?: boolean; mode?: number; exclusive?: boolean }, { bytes: number; created: boolean }];
  stat: [{ path: string }, FileStat | null];
  /** Walks `path`; with respectIgnore, .gitignore files (root and nested) prune the walk, and `.git/` is always skipped. */
  listdir: [{ path: string; depth: number; maxEntries: number; respectIgnore: boolean }, { entries: FileEntry[]; truncated: boolean }];
  /** Every file under `path` (ignore rules as listdir, plus `exclude` prefixes) with its sha256: what a sync compares. */
  manifest: [{ path: string; maxEntries: number; respectIgnore: boolean; exclude?: string[]; maxFileBytes?: number }, { entries: ManifestEntry[]; truncated: boolean; skipped: string[] }];
  /** Extracts a tar the host validated into `root`, as the user, after checking each folder stays inside. The
   *  tar travels raw, as the payload of a binary frame (framing.ts), never as base64 in the JSON. */
  extract: [{ root: string; folders: string[]; timeoutMs?: number }, { exitCode: number; stderr: string }];
  remove: [{ path: string; recursive?: boolean }, { removed: boolean }];
  move: [{ from: string; to: string; overwrite?: boolean }, { moved: boolean }];
  mkdir: [{ path: string }, { created: boolean }];
  codeRun: [CodeRunArgs, CodeRunResult];
  codeCancel: [{ runId: string }, { found: boolean }];
  codeReset: [Record<string, never>, { restarted: boolean }];
  /**
   * With `hostSocket` (the engine is local: the server listens on a unix socket bind-mounted read-only into the
   * sandbox), the daemon connects out to it, sends `tunnel <token>` and pipes the port and that connection raw (kernel
   * flow control, nothing on this stream); it answers `raw: true` then. Without it, or when that socket does not
   * answer, bytes travel as frames on this stream (tunnelWrite / tunnelData).
   */
  tunnelOpen: [{ tunnelId: string; port: number; host?: string; hostSocket?: { path: string; token: string } }, { opened: true; raw?: true }];
  /** Sent as a notification (no id, no answer) in a binary frame: the payload is the bytes. Flow: tunnel-flow.ts. */
  tunnelWrite: [{ tunnelId: string }, { ok: true }];
  /** Notification: the host handed `bytes` of this tunnel's data on (credit back to the daemon). */
  tunnelAck: [{ tunnelId: string; bytes: number }, { ok: true }];
  tunnelClose: [{ tunnelId: string }, { ok: true }];
}

export type DaemonOp = keyof DaemonOps;

export interface DaemonRequest<K extends DaemonOp = DaemonOp> {
  id: number;
  op: K;
  args: DaemonOps[K][0];
}

export type DaemonResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { code: string; message: string } };

/** Unsolicited messages from the daemon. */
export type DaemonEvent =
  /** Sent as a binary frame whose JSON header is `{ ev, tunnelId }` and whose payload is the bytes. */
  | { ev: 'tunnelData'; tunnelId: string; data: Buffer }
  /** The daemon handed `bytes` of the host's data on to the sandbox socket (credit back to the host). */
  | { ev: 'tunnelAck'; tunnelId: string; bytes: number }
  | { ev: 'tunnelClosed'; tunnelId: string; error?: string }
  /** A piece of a streaming exec's output (stdout and stderr as they interleave; base64). */
  | { ev: 'execOutput'; execId: string; data: string }
  /** The disk watchdog found the quota exceeded (numbers and what it stopped; the host words the notice). */
  | { ev: 'quota'; usedBytes: number; quotaBytes: number; stopped: QuotaStop[] };

/** A process group the disk watchdog killed: one process of it that had a file under the quota folders open. */
export interface QuotaStop {
  pid: number;
  comm: string;
  file: string;
}

/** Error codes the daemon uses; the host maps them to messages for the model. */
export const DaemonErrorCodes = {
  notFound: 'ENOENT',
  exists: 'EEXIST',
  isDir: 'EISDIR',
  notDir: 'ENOTDIR',
  notEmpty: 'ENOTEMPTY',
  outside: 'OUTSIDE_WORKSPACE',
  badRequest: 'BAD_REQUEST',
  noProcess: 'NO_PROCESS',
  tooMany: 'TOO_MANY',
} as const;
