// Everything that comes out of the sandbox is attacker-controlled data. This module is the host's check of the
// daemon's answers and events: per op, each field's type and size, bounded by what was asked (a read of N bytes
// cannot answer with more), and the line ceiling that follows from it. Fields the host does not use are dropped.
import { z } from 'zod';
import { EXEC_STREAM_CHUNK_BYTES, type DaemonEvent, type DaemonOp, type DaemonOps } from '../daemon/protocol.js';

/** Base64 length of `bytes` bytes. */
export const b64Len = (bytes: number) => Math.ceil(Math.max(0, bytes) / 3) * 4;

const PATH_MAX = 4096;
const LIST_MAX_ENTRIES = 200_000;
/** Lines that carry no bulk data (errors, events, small answers) stay under this. */
export const BASE_LINE_BYTES = 1024 * 1024;
const PER_ENTRY_BYTES = 1024;
const SIGNAL = z.string().regex(/^SIG[A-Z0-9+-]{1,12}$/).nullable();

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const text = (max: number) => z.string().max(max);
const b64 = (bytes: number) => z.string().max(b64Len(bytes)).regex(/^[A-Za-z0-9+/]*={0,2}$/);

const processInfo = z.object({
  processId: text(32),
  name: text(1024),
  command: text(1024 * 1024),
  pid: count,
  running: z.boolean(),
  exitCode: z.number().int().nullable(),
  signal: SIGNAL,
  startedAt: count,
  outputBytes: count,
});

const fileEntry = z.object({ path: text(PATH_MAX), type: z.enum(['file', 'dir', 'symlink', 'other']), size: count });

/** Half of an exec's cap: what the daemon keeps of each stream's head and of its tail. */
const execHalf = (capBytes: number) => Math.max(1024, Math.floor(capBytes / 2));

/** Limits on one code_run answer (the driver runs as the agent: these bound what a forged answer can carry). */
export const CODE_LIMITS = { images: 8, imageBytes: 4 * 1024 * 1024, displays: 40, displayChars: 64 * 1024, tracebackChars: 8000, side: 20_000 };
/** The driver counts code points; a JS string counts UTF-16 units (an emoji is two): twice the count is the bound. */
const codeText = (codePoints: number) => text(2 * codePoints);
const codeStream = (capChars: number) => z.object({ head: codeText(Math.max(512, Math.floor(capChars / 2))), tail: codeText(Math.max(512, Math.floor(capChars / 2))), total: count });
const codeDisplay = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('text'), text: codeText(CODE_LIMITS.displayChars) }),
  z.object({
    kind: z.literal('image'),
    data: b64(CODE_LIMITS.imageBytes),
    width: z.number().int().min(1).max(CODE_LIMITS.side),
    height: z.number().int().min(1).max(CODE_LIMITS.side),
    // Only a name the driver is told to use: a figure file under the folder the host gave.
    path: z.string().regex(/^\/workspace\/\.suna\/figures\/figure-\d{1,16}-\d{1,9}\.png$/).nullable(),
  }),
]);

type Schemas = { [K in DaemonOp]: (args: DaemonOps[K][0]) => z.ZodType };
const schemas: Schemas = {
  hello: () => z.object({ version: z.number().int(), pid: count, uid: z.number().int(), node: text(64), workspace: text(PATH_MAX) }),
  exec: (a) => {
    const stream = z.object({ head: b64(execHalf(a.capBytes)), tail: b64(execHalf(a.capBytes)), totalBytes: count });
    return z.object({
      exitCode: z.number().int().nullable(),
      signal: SIGNAL,
      stdout: stream,
      stderr: stream,
      durationMs: count,
      timedOut: z.boolean(),
      cancelled: z.boolean(),
      oomKilled: z.boolean(),
      // Only ever the file the host asked for (compared in checkAnswer: the name differs per call, the schema is kept).
      spilledTo: text(PATH_MAX).optional(),
    });
  },
  cancel: () => z.object({ found: z.boolean() }),
  start: () => processInfo,
  output: (a) =>
    z.object({ data: b64(a.maxBytes ?? 256 * 1024), offset: count, nextOffset: count, droppedBytes: count, running: z.boolean(), exitCode: z.number().int().nullable(), signal: SIGNAL }),
  input: () => z.object({ written: count }),
  kill: () => processInfo,
  list: () => z.array(processInfo).max(1024),
  read: (a) => z.object({ data: b64(a.maxBytes), size: count, truncated: z.boolean() }),
  readLines: (a) =>
    z.object({
      data: b64(a.maxBytes),
      fromLine: z.literal(a.fromLine),
      lines: count.max(a.maxLines),
      cutLines: count.max(a.maxLines),
      totalLines: count,
      size: count,
      binary: z.boolean(),
    }),
  write: () => z.object({ bytes: count, created: z.boolean() }),
  stat: () => z.object({ path: text(PATH_MAX), type: fileEntry.shape.type, size: count, mtimeMs: z.number().min(0), mode: count }).nullable(),
  listdir: (a) => z.object({ entries: z.array(fileEntry).max(Math.min(a.maxEntries, LIST_MAX_ENTRIES)), truncated: z.boolean() }),
  manifest: (a) =>
    z.object({
      entries: z
        .array(
          z.object({
            path: text(PATH_MAX),
            type: z.enum(['file', 'symlink']),
            size: count,
            mtimeMs: z.number().min(0),
            mode: count,
            sha256: z.string().regex(/^[0-9a-f]{64}$/),
            target: text(PATH_MAX).optional(),
          }),
        )
        .max(Math.min(a.maxEntries, LIST_MAX_ENTRIES)),
      truncated: z.boolean(),
      skipped: z.array(text(PATH_MAX)).max(Math.min(a.maxEntries, LIST_MAX_ENTRIES)),
    }),
  extract: () => z.object({ exitCode: z.number().int(), stderr: text(4096) }),
  remove: () => z.object({ removed: z.boolean() }),
  move: () => z.object({ moved: z.boolean() }),
  mkdir: () => z.object({ created: z.boolean() }),
  codeRun: (a) =>
    z.object({
      status: z.enum(['ok', 'error', 'timeout', 'cancelled', 'died']),
      restart: z.enum(['died', 'unresponsive', 'driver']).nullable(),
      executionCount: count.nullable(),
      stdout: codeStream(a.capChars),
      stderr: codeStream(a.capChars),
      result: codeText(CODE_LIMITS.displayChars).nullable(),
      displays: z
        .array(codeDisplay)
        .max(CODE_LIMITS.displays)
        .refine((d) => d.filter((x) => x.kind === 'image').length <= CODE_LIMITS.images, `at most ${CODE_LIMITS.images} images`),
      error: z.object({ ename: codeText(200), evalue: codeText(4000), traceback: codeText(CODE_LIMITS.tracebackChars) }).nullable(),
      oomKilled: z.boolean(),
    }),
  codeCancel: () => z.object({ found: z.boolean() }),
  codeReset: () => z.object({ restarted: z.boolean() }),
  tunnelOpen: () => z.object({ opened: z.literal(true), raw: z.literal(true).optional() }),
  tunnelWrite: () => z.object({ ok: z.literal(true) }),
  tunnelAck: () => z.object({ ok: z.literal(true) }),
  tunnelClose: () => z.object({ ok: z.literal(true) }),
};

/** The longest line an answer to this request can legitimately be. */
export function answerLineLimit<K extends DaemonOp>(op: K, args: DaemonOps[K][0]): number {
  const a = args as Record<string, unknown>;
  const n = (v: unknown, dflt = 0) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : dflt);
  switch (op) {
    case 'read':
      return BASE_LINE_BYTES + b64Len(n(a.maxBytes));
    case 'readLines':
      return BASE_LINE_BYTES + b64Len(n(a.maxBytes));
    case 'output':
      return BASE_LINE_BYTES + b64Len(n(a.maxBytes, 256 * 1024));
    case 'exec':
      return BASE_LINE_BYTES + 4 * b64Len(execHalf(n(a.capBytes)));
    case 'listdir':
    case 'manifest':
      return BASE_LINE_BYTES + Math.min(n(a.maxEntries), LIST_MAX_ENTRIES) * PER_ENTRY_BYTES * 2;
    case 'list':
      return 64 * BASE_LINE_BYTES;
    case 'codeRun':
      // Images, then text fields at up to 6 bytes a character (JSON escapes), all bounded by the schema above.
      return BASE_LINE_BYTES + CODE_LIMITS.images * b64Len(CODE_LIMITS.imageBytes) + 12 * (4 * n(a.capChars) + (CODE_LIMITS.displays + 1) * CODE_LIMITS.displayChars);
    default:
      return BASE_LINE_BYTES;
  }
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

function problemOf(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'answer'}: ${issue.message}` : 'malformed';
}

/**
 * What of a request its answer's schema is built from; a schema is built once per op and key, since zod compiles a
 * schema at its first parse (0.3–1 ms, more than checking an answer with it). Ops not named build from nothing.
 */
const schemaKeys: { [K in DaemonOp]?: (args: DaemonOps[K][0]) => string } = {
  exec: (a) => String(a.capBytes),
  output: (a) => String(a.maxBytes),
  read: (a) => String(a.maxBytes),
  readLines: (a) => `${a.maxBytes},${a.maxLines},${a.fromLine}`,
  listdir: (a) => String(a.maxEntries),
  manifest: (a) => String(a.maxEntries),
  codeRun: (a) => String(a.capChars),
};
const builtSchemas = new Map<string, z.ZodType>();
// A builder that reads the request but has no key would hand one call's bounds to the next: refuse to load.
for (const [op, build] of Object.entries(schemas)) if (build.length > 0 && !(op in schemaKeys)) throw new Error(`daemon-answers: the schema of "${op}" reads its request but has no schemaKeys entry`);

function schemaFor<K extends DaemonOp>(op: K, args: DaemonOps[K][0]): z.ZodType {
  const key = `${op}:${schemaKeys[op]?.(args) ?? ''}`;
  let schema = builtSchemas.get(key);
  if (!schema) {
    if (builtSchemas.size >= 256) builtSchemas.clear(); // callers vary sizes rarely; never unbounded
    builtSchemas.set(key, (schema = schemas[op](args)));
  }
  return schema;
}

/**
 * What a schema cannot say: an answer that must agree with its own request (a problem, or undefined when it does).
 * One entry per op that needs it, beside schemaKeys, rather than special cases in checkAnswer.
 */
const requestChecks: { [K in DaemonOp]?: (args: DaemonOps[K][0], answer: DaemonOps[K][1]) => string | undefined } = {
  exec: (a, r) => (r.spilledTo !== undefined && r.spilledTo !== a.spillPath ? 'spilledTo: not the file the host asked for' : undefined),
};

export function checkAnswer<K extends DaemonOp>(op: K, args: DaemonOps[K][0], result: unknown): Checked<DaemonOps[K][1]> {
  const r = schemaFor(op, args).safeParse(result);
  if (!r.success) return { ok: false, problem: problemOf(r.error) };
  const problem = requestChecks[op]?.(args, r.data as DaemonOps[K][1]);
  if (problem) return { ok: false, problem };
  return { ok: true, value: r.data as DaemonOps[K][1] };
}

/**
 * Why an answer that failed its check was refused, naming who wrote it: the daemon relays the code interpreter's
 * result as its driver (which runs as the agent) sent it, so a forged result is the agent's doing, not the daemon's.
 */
export function malformedAnswer(op: DaemonOp, problem: string): string {
  return op === 'codeRun'
    ? `the code interpreter sent a malformed result (${problem}); it runs as the agent inside the sandbox, so the code may have tampered with it. Nothing of it was shown; code_reset starts a fresh kernel`
    : `the sandbox daemon sent a malformed answer to "${op}" (${problem})`;
}

/** Sandbox text for inside one of our sentences: one line without controls, never posing as the server's own "Note:" (tool.ts puts notices on such lines), cut to `max`. */
export function sandboxLine(raw: string, max = 2000): string {
  // eslint-disable-next-line no-control-regex
  return raw.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/^(\s*note\s*:\s*)+/i, '').slice(0, max);
}

const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,39}$/;
/** A refusal's code (errno-like, else ERROR) and message (one bounded line, no control characters). */
export function checkError(error: unknown): { code: string; message: string } {
  const e = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' && ERROR_CODE.test(e.code) ? e.code : 'ERROR';
  return { code, message: sandboxLine(typeof e.message === 'string' ? e.message : 'the sandbox daemon refused the request') };
}

const eventSchema = z.discriminatedUnion('ev', [
  z.object({ ev: z.literal('tunnelAck'), tunnelId: text(64), bytes: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }),
  z.object({ ev: z.literal('tunnelClosed'), tunnelId: text(64), error: text(1000).optional() }),
  z.object({ ev: z.literal('execOutput'), execId: text(64), data: b64(EXEC_STREAM_CHUNK_BYTES) }),
  z.object({
    ev: z.literal('quota'),
    usedBytes: count,
    quotaBytes: count,
    stopped: z.array(z.object({ pid: z.number().int().min(1), comm: text(64), file: text(PATH_MAX) })).max(1000),
  }),
]);

/** An event, or null when it is not one the host knows in a shape it accepts. */
export function checkEvent(msg: unknown): DaemonEvent | null {
  const r = eventSchema.safeParse(msg);
  return r.success ? (r.data as DaemonEvent) : null;
}

const tunnelFrameHeader = z.object({ ev: z.literal('tunnelData'), tunnelId: text(64) });

/**
 * A binary frame from the daemon: only tunnel data comes that way (its header `{ ev, tunnelId }`, its payload the
 * bytes; the payload's size was bounded by the frame reader). Null for any other header.
 */
export function checkFrameEvent(header: Buffer, payload: Buffer): DaemonEvent | null {
  let msg: unknown;
  try {
    msg = JSON.parse(header.toString('utf8'));
  } catch {
    return null;
  }
  const r = tunnelFrameHeader.safeParse(msg);
  return r.success ? { ev: 'tunnelData', tunnelId: r.data.tunnelId, data: payload } : null;
}
