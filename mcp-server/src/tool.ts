// A tool is one declaration (name, kind, description, zod input, handler). Registration, annotations,
// error shaping, notices, logging and cancellation plumbing are done here, once, for every tool.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ListToolsRequestSchema, type CallToolResult, type ServerNotification, type ServerRequest, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { AbortedError, DaemonGoneError, DaemonRequestError, DockerUnavailableError, ImageBuildError, PathPolicyError, type Sandbox, type TcpForward } from '@suna/sandbox';
import { annotationsFor, compactAnnotations, redactSecrets, type ToolKind } from '@suna/shared';
import { toJSONSchema as zodToJsonSchema, type z } from 'zod';
import type { AgentRunManager } from './agent/runs.js';
import type { BrowserSession } from './browser/session.js';
import type { LocalSiteHost } from './deploy/static-host.js';
import type { ServerConfig } from './config.js';
import type { Semaphore } from './limits.js';
import { toolCalls, toolDuration } from './metrics.js';
import { withSpan } from './telemetry.js';
import type { Logger } from './log.js';
import { workspaceMayHaveChanged } from './resource-changes.js';
import { ToolResponse, errorResult } from './response.js';

/** A failure the model can act on; the message says what to do. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
}

/** What every handler gets: the sandbox, the request's signal, progress, and the response builder. */
export interface ToolContext {
  sandbox: Sandbox;
  runtime: Runtime;
  config: ServerConfig;
  signal: AbortSignal;
  reply: ToolResponse;
  progress(progress: number, total?: number, message?: string): Promise<void>;
}

/** State shared by all MCP sessions of one server process. */
export interface Runtime {
  config: ServerConfig;
  sandbox: Sandbox;
  log: Logger;
  /** Per-process read cursors, so `shell_output` without an offset continues where the last call stopped. */
  outputCursors: Map<string, number>;
  /** Agent runs of `agent_run` (created with the runtime). */
  runs: AgentRunManager;
  /** The sandbox's Chromium, started on first use. */
  browser: BrowserSession;
  /** Sandbox ports exposed on the host, by sandbox port. */
  ports: Map<number, TcpForward>;
  /** Locally hosted static sites (and the records of remote deploys). */
  sites: LocalSiteHost;
  /** The cap on concurrent tool calls in this sandbox (--max-concurrent-calls). */
  callSlots: Semaphore;
}

export interface ToolDefinition<S extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  kind: ToolKind;
  /** Written for the model: what it does, when to use it, what it returns. */
  description: string;
  input: S;
  output?: z.ZodObject;
  /** Outside the per-sandbox concurrency cap: tools that only wait on others (agent_*), which would deadlock it. */
  uncapped?: boolean;
  /** Works without the sandbox (web search, run bookkeeping): not held while the sandbox image is first built. */
  sandboxFree?: boolean;
  handle(args: z.infer<S>, ctx: ToolContext): Promise<void>;
}

/** Unknown arguments are refused ("Unrecognized key") rather than silently dropped: the model learns its mistake. */
export function defineTool<S extends z.ZodObject>(def: ToolDefinition<S>): ToolDefinition<S> {
  return { ...def, input: def.input.strict() as unknown as S };
}

const HINTS: Record<string, string> = {
  ENOENT: 'file_list shows what exists',
  EEXIST: 'choose another name or pass overwrite',
  EISDIR: 'this is a directory; use file_list',
  ENOTDIR: 'a parent of this path is a file, not a directory',
  EACCES: 'the sandbox user may not access it',
  ENOSPC: 'the sandbox is out of disk space; delete files or run sandbox_reset',
};

/** Turn any error into the message the model sees. Nothing internal (stack, host paths, secrets) leaks. */
export function describeError(err: unknown): { message: string; internal: boolean } {
  if (err instanceof ToolError || err instanceof PathPolicyError || err instanceof DockerUnavailableError || err instanceof DaemonGoneError || err instanceof ImageBuildError)
    return { message: err.message, internal: false };
  if (err instanceof AbortedError) return { message: 'cancelled', internal: false };
  if (err instanceof DaemonRequestError) {
    const hint = HINTS[err.code];
    return { message: `${err.message}${hint ? ` (${hint})` : ''}`, internal: false };
  }
  const msg = err instanceof Error ? err.message : String(err);
  if (/ENOSPC|no space left/i.test(msg)) return { message: `out of disk space: ${HINTS.ENOSPC}`, internal: false };
  return { message: `internal error: ${msg.split('\n')[0]}`, internal: true };
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** How long a call waits for a first image build before answering "retry": below the ~60 s clients give a call. */
const IMAGE_WAIT_MS = Number(process.env.SUNA_IMAGE_WAIT_MS) || 45_000;

/**
 * The first call of a fresh install builds the sandbox image (minutes): report its steps as progress, and answer
 * with a retryable message before the client would give up, while the build goes on.
 */
async function waitForImage(runtime: Runtime, ctx: ToolContext): Promise<void> {
  const build = runtime.sandbox.ensureImage((step, total, line) => void ctx.progress(step, total, `building the sandbox image (first run only): step ${step} of ${total}: ${line}`));
  build.catch(() => {}); // a failure is answered below, or by the next call that waits for a new attempt
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<'waiting'>((resolve) => (timer = setTimeout(() => resolve('waiting'), IMAGE_WAIT_MS)));
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => ctx.signal.addEventListener('abort', (onAbort = () => reject(new AbortedError())), { once: true }));
  try {
    if ((await Promise.race([build.then(() => 'ready' as const), waited, aborted])) === 'ready') return;
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener('abort', onAbort!);
  }
  const st = runtime.sandbox.imageBuildState;
  const where = st?.total ? `step ${st.step} of ${st.total}, ` : '';
  const secs = st ? Math.round((Date.now() - st.startedAt) / 1000) : Math.round(IMAGE_WAIT_MS / 1000);
  throw new ToolError(`The sandbox image is being built (first run only; ${where}${secs} s so far). Retry this call in a minute: the build goes on in the background. (\`suna-mcp build-image\` builds it ahead of time.)`);
}

export function registerTools(server: McpServer, runtime: Runtime, tools: ToolDefinition[]): void {
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input,
        ...(tool.output ? { outputSchema: tool.output } : {}),
        annotations: annotationsFor(tool.kind), // the title is top-level (MCP 2025-06-18); not repeated here
      },
      ((args: Record<string, unknown>, extra: Extra) => {
        const token = extra._meta?.progressToken;
        const notify =
          token === undefined
            ? undefined
            : (progress: number, total?: number, message?: string) =>
                extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress, total, message } });
        const done = executeTool(tool, args, runtime, { signal: extra.signal, notify });
        return tool.kind === 'read' ? done : done.finally(() => workspaceMayHaveChanged(server));
      }) as never,
    );
  }
  // tools/list is ours: the SDK's listing adds `$schema` to every schema, `execution: {taskSupport: "forbidden"}`
  // (the default) and every annotation (spec defaults included). Same tools, same schemas, a third less context.
  const listed = tools.map(listedTool);
  server.server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listed }));
}

function jsonSchema(schema: z.ZodObject, io: 'input' | 'output'): Tool['inputSchema'] {
  const { $schema: _drop, ...rest } = zodToJsonSchema(schema, { io, target: 'draft-7' }) as Record<string, unknown>;
  return rest as Tool['inputSchema'];
}

function listedTool(tool: ToolDefinition): Tool {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: jsonSchema(tool.input, 'input'),
    ...(tool.output ? { outputSchema: jsonSchema(tool.output, 'output') } : {}),
    annotations: compactAnnotations(tool.kind),
  };
}

export interface ExecuteOptions {
  signal: AbortSignal;
  /** Sends a progress notification; absent when the caller asked for none. */
  notify?: (progress: number, total?: number, message?: string) => Promise<void>;
  /** Validate `args` against the tool's schema (the MCP SDK already does this for protocol calls). */
  validate?: boolean;
}

/** Run one tool: the single path for MCP calls and in-process calls (agent_run). Never throws. */
export async function executeTool(tool: ToolDefinition, args: Record<string, unknown>, runtime: Runtime, opts: ExecuteOptions): Promise<CallToolResult> {
  const started = performance.now();
  const reply = new ToolResponse(runtime.config.maxOutputChars);
  let lastProgress = -1;
  const ctx: ToolContext = {
    sandbox: runtime.sandbox,
    runtime,
    config: runtime.config,
    signal: opts.signal,
    reply,
    async progress(progress, total, message) {
      if (!opts.notify || progress <= lastProgress || opts.signal.aborted) return;
      lastProgress = progress;
      await opts.notify(progress, total, message).catch(() => {});
    },
  };
  let outcome = 'ok';
  let release: (() => void) | undefined;
  try {
    return await withSpan(`tool ${tool.name}`, { 'suna.tool': tool.name, 'suna.sandbox': runtime.config.sandbox.name }, async (span) => {
      try {
        let input: unknown = args;
        if (opts.validate) {
          const parsed = tool.input.safeParse(args ?? {});
          if (!parsed.success) throw new ToolError(`Input validation error: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`);
          input = parsed.data;
        }
        if (!tool.uncapped) release = await runtime.callSlots.acquire(opts.signal);
        if (!tool.sandboxFree && !runtime.sandbox.imagePresent) await waitForImage(runtime, ctx);
        await tool.handle(input as never, ctx);
        for (const n of runtime.sandbox.takeNotices()) reply.notice(n);
        return reply.build();
      } catch (err) {
        const { message, internal } = describeError(opts.signal.aborted ? new AbortedError() : err);
        outcome = internal ? 'internal_error' : opts.signal.aborted ? 'cancelled' : 'error';
        span.setAttribute('suna.outcome', outcome);
        if (internal) runtime.log.error('tool failed unexpectedly', { tool: tool.name, error: err instanceof Error ? err.stack : String(err) });
        return errorResult(redactSecrets(message), runtime.sandbox.takeNotices());
      }
    });
  } finally {
    release?.();
    const seconds = (performance.now() - started) / 1000;
    toolCalls.inc({ tool: tool.name, outcome });
    toolDuration.observe({ tool: tool.name }, seconds);
    runtime.log.info('tool call', { tool: tool.name, ms: Math.round(seconds * 1000), outcome, sandbox: runtime.config.sandbox.name });
  }
}
