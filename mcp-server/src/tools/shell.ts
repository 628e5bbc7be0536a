// Shell tools: one-shot commands with capped output, and background processes polled by offset.
import { capExcerpt } from '@suna/shared';
import { LIVE_OUTPUT_PREFIX } from '@suna/shared/live-output';
import { displayPath, resolveWorkspacePath, WORKSPACE_ROOT } from '@suna/sandbox';
import { z } from 'zod';
import type { ExecOutcome } from '../sandbox-facade.js';
import { defineTool, ToolError, type ToolContext } from '../tool.js';
import { runtimeState, type Runtime } from '../tool-context.js';

/** Where capped output is saved in full (inside the workspace, so file_read can page through it). */
export const OUTPUT_DIR = `${WORKSPACE_ROOT}/.suna/output`;
const MAX_TIMEOUT_S = 3600;

const envSchema = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names are letters, digits and _'), z.string().max(32_768))
  .optional()
  .describe('Extra environment variables');

const cwdSchema = z.string().optional().describe('Relative to /workspace');

/** Per process: where the last shell_output stopped, so a call without an offset continues from there. */
const outputCursors = runtimeState(() => new Map<string, number>());

/** After sandbox_reset: the old processes are gone, and so are their cursors. */
export function forgetOutputCursors(runtime: Runtime): void {
  outputCursors(runtime).clear();
}

function execSummary(r: ExecOutcome, memoryMb: number): string {
  const secs = (r.durationMs / 1000).toFixed(2);
  if (r.cancelled) return `cancelled after ${secs} s`;
  if (r.timedOut) return `timed out after ${secs} s: the command and all its child processes were killed (use shell_start for long-running work)`;
  if (r.oomKilled) return `killed: out of memory (the sandbox limit is ${memoryMb} MiB); exit code ${r.exitCode ?? r.signal}`;
  if (r.signal) return `killed by ${r.signal} after ${secs} s`;
  return `exit code ${r.exitCode} · ${secs} s`;
}

/**
 * Live output for clients that asked for progress: each batch the daemon sends becomes one progress notification
 * whose message is `LIVE_OUTPUT_PREFIX` + the text (control characters and terminal escapes removed), its progress
 * the bytes so far. A client that gave no progress token gets nothing (ctx.progress drops it).
 */
function liveOutput(ctx: ToolContext): (chunk: Buffer) => void {
  const decoder = new TextDecoder('utf-8');
  let bytes = 0;
  return (chunk) => {
    bytes += chunk.length;
    const text = decoder
      .decode(chunk, { stream: true })
      .replace(/\u001b\[[0-9;?]*[ -\/]*[@-~]|\u001b[@-_]/g, '')
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, '');
    if (text) void ctx.progress(bytes, undefined, LIVE_OUTPUT_PREFIX + text);
  };
}

export const shellExec = defineTool({
  name: 'shell_exec',
  title: 'Run a shell command',
  kind: 'exec',
  description:
    'Run a bash command in the sandbox (Debian, user "user", cwd /workspace) and wait. Long output keeps its start and end, in full under .suna/output/. ' +
    'Killed with its children at the timeout. Use shell_start for servers and jobs over a minute.',
  input: z.object({
    command: z.string().min(1).max(100_000).describe('The bash command line'),
    cwd: cwdSchema,
    timeout_s: z.number().positive().max(MAX_TIMEOUT_S).optional().describe('Default 60'),
    env: envSchema,
  }),
  // One of exit_code / signal is present, never a null: a `type` array (["number","null"]) is not portable to
  // single-type schema dialects such as the one Gemini's function declarations use.
  output: z.object({
    exit_code: z.number().optional().describe('When it exited'),
    signal: z.string().optional().describe('When killed by a signal'),
    stdout: z.string(),
    stderr: z.string(),
    duration_ms: z.number(),
    timed_out: z.boolean(),
    oom_killed: z.boolean(),
    truncated: z.boolean(),
    full_output_path: z.string().optional(),
  }),
  async handle({ command, cwd, timeout_s, env }, ctx) {
    const capBytes = ctx.config.maxOutputChars;
    const r = await ctx.exec({ command, cwd: resolveWorkspacePath(cwd ?? '.'), env, timeoutMs: Math.round((timeout_s ?? 60) * 1000), capBytes, spillDir: OUTPUT_DIR, onOutput: ctx.wantsProgress ? liveOutput(ctx) : undefined });
    const saved = r.spilledTo ? displayPath(r.spilledTo) : undefined;
    // stdout gets most of the budget; stderr is usually short but matters most when a command fails.
    const budget = ctx.config.maxOutputChars;
    const stderrBudget = r.stderr.totalBytes ? Math.floor(budget * 0.3) : 0;
    const stdout = capExcerpt(r.stdout.head, r.stdout.tail, r.stdout.totalBytes, budget - stderrBudget, saved);
    const stderr = capExcerpt(r.stderr.head, r.stderr.tail, r.stderr.totalBytes, stderrBudget, saved);
    const truncated = r.stdout.totalBytes + r.stderr.totalBytes > Buffer.byteLength(stdout) + Buffer.byteLength(stderr);
    ctx.reply.text(execSummary(r, ctx.config.sandbox.memoryMb));
    if (stdout) ctx.reply.text(`stdout:\n${stdout}`, { max: budget + 50 });
    if (stderr) ctx.reply.text(`stderr:\n${stderr}`, { max: budget + 50 });
    if (!stdout && !stderr) ctx.reply.text('(no output)');
    if (saved) ctx.reply.text(`Full output (${(r.stdout.totalBytes + r.stderr.totalBytes).toLocaleString('en-US')} bytes) saved to ${saved}.`);
    ctx.reply.structuredContent({
      ...(r.exitCode !== null ? { exit_code: r.exitCode } : {}),
      ...(r.signal !== null ? { signal: r.signal } : {}),
      stdout,
      stderr,
      duration_ms: r.durationMs,
      timed_out: r.timedOut,
      oom_killed: r.oomKilled,
      truncated,
      ...(saved ? { full_output_path: saved } : {}),
    });
    if (r.cancelled) throw new ToolError('cancelled');
  },
});

export const shellStart = defineTool({
  name: 'shell_start',
  title: 'Start a background process',
  kind: 'exec',
  description:
    'Start a command (dev server, build, watcher) in the background; returns its process_id at once. Then use shell_output, shell_input, shell_kill.',
  input: z.object({
    command: z.string().min(1).max(100_000).describe('The bash command line'),
    cwd: cwdSchema,
    name: z.string().max(80).optional().describe('Label for shell_list'),
  }),
  async handle({ command, cwd, name }, ctx) {
    const info = await ctx.proc.start(command, { cwd: resolveWorkspacePath(cwd ?? '.'), name });
    ctx.reply.text(`started ${info.processId} (pid ${info.pid}): ${info.name}\nUse shell_output {"process_id": "${info.processId}", "wait_s": 5} to read its output.`);
    ctx.reply.structuredContent({ process_id: info.processId, pid: info.pid });
  },
});

export const shellOutput = defineTool({
  name: 'shell_output',
  title: 'Read background process output',
  kind: 'read',
  description:
    'New output of a background process since `offset` (default: where the last call without one stopped) and whether it still runs; ' +
    'wait_s waits for output or exit (no polling loop needed).',
  input: z.object({
    process_id: z.string().min(1).max(40),
    wait_s: z.number().min(0).max(50).optional().describe('Default 0'),
    offset: z.number().int().min(0).optional().describe('next_offset of the last call'),
  }),
  async handle({ process_id, wait_s, offset }, ctx) {
    const cursors = outputCursors(ctx.runtime);
    const from = offset ?? cursors.get(process_id) ?? 0;
    const r = await ctx.proc.output(process_id, { offset: from, waitMs: Math.round((wait_s ?? 0) * 1000), maxBytes: ctx.config.maxOutputChars * 2 });
    // A read at an explicit offset (the chat panel following a process) leaves the default cursor alone.
    if (offset === undefined) cursors.set(process_id, r.nextOffset);
    const state = r.running ? 'running' : r.signal ? `exited (killed by ${r.signal})` : `exited with code ${r.exitCode}`;
    const text = r.text;
    const lines = [`${process_id}: ${state}; next_offset ${r.nextOffset}`];
    if (r.droppedBytes) lines.push(`(${r.droppedBytes} older bytes were dropped from the buffer)`);
    ctx.reply.text(lines.join('\n'));
    ctx.reply.text(text || '(no new output)');
    ctx.reply.structuredContent({ running: r.running, exit_code: r.exitCode, output: text.slice(0, ctx.config.maxOutputChars), offset: r.offset, next_offset: r.nextOffset });
  },
});

export const shellInput = defineTool({
  name: 'shell_input',
  title: 'Send input to a background process',
  kind: 'exec',
  description: 'Write text to the stdin of a background process. Include "\\n" to press Enter.',
  input: z.object({ process_id: z.string().min(1).max(40), text: z.string().max(1_000_000) }),
  async handle({ process_id, text }, ctx) {
    const r = await ctx.proc.input(process_id, text);
    ctx.reply.text(`wrote ${r.written} bytes to ${process_id}`);
  },
});

export const shellKill = defineTool({
  name: 'shell_kill',
  title: 'Stop a background process',
  kind: 'destructive',
  description: 'Stop a background process and its children: SIGTERM (default), then SIGKILL after 1 s.',
  input: z.object({ process_id: z.string().min(1).max(40), signal: z.enum(['SIGTERM', 'SIGKILL', 'SIGINT', 'SIGHUP']).optional() }),
  async handle({ process_id, signal }, ctx) {
    const info = await ctx.proc.kill(process_id, signal);
    ctx.reply.text(info.running ? `sent ${signal ?? 'SIGTERM'} to ${process_id} (${info.name})` : `${process_id} had already exited (code ${info.exitCode ?? info.signal})`);
  },
});

export const shellList = defineTool({
  name: 'shell_list',
  title: 'List background processes',
  kind: 'read',
  description: 'Background processes from shell_start: id, state, command.',
  input: z.object({}),
  async handle(_args, ctx) {
    const own = ctx.runtime.browser.browserProcessId;
    const list = (await ctx.proc.list()).filter((p) => p.processId !== own);
    ctx.reply.text(
      list.length
        ? list.map((p) => `${p.processId}  ${p.running ? 'running' : `exited ${p.exitCode ?? p.signal}`}  ${p.name}`).join('\n')
        : 'no background processes',
    );
    ctx.reply.structuredContent({ processes: list.map((p) => ({ process_id: p.processId, name: p.name, command: p.command, running: p.running, exit_code: p.exitCode })) });
  },
});

export const shellTools = [shellExec, shellStart, shellOutput, shellInput, shellKill, shellList];
