// A tool is one declaration (name, kind, description, zod input, handler). Registration, annotations,
// error shaping, notices, logging and cancellation plumbing are done here, once, for every tool.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ListToolsRequestSchema, type CallToolResult, type ServerNotification, type ServerRequest, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { AbortedError } from '@suna/sandbox';
import { annotationsFor, compactAnnotations, isReadOnly, redactSecrets, type ToolKind } from '@suna/shared';
import type { ToolHost, ToolSpec } from '@suna/shared/agent/index';
import { toJSONSchema as zodToJsonSchema, type z } from 'zod';
import { describeError, ToolError } from './errors.js';
import { toolCalls, toolDuration } from './metrics.js';
import { bindSandbox } from './sandbox-facade.js';
import { withSpan } from './telemetry.js';
import type { Logger } from './log.js';
import { workspaceMayHaveChanged } from './resource-changes.js';
import { ToolResponse, errorResult } from './response.js';
import type { Runtime, ToolContext } from './tool-context.js';

// Kept where every tool file (and the branches written against it) already imports them from.
export { describeError, SandboxFileError, ToolError } from './errors.js';
export type { Runtime, ToolContext } from './tool-context.js';

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
  // Built at the first tools/list (or by the warm-up after `initialize`, main.ts), not before `initialize` is answered.
  let listed: Tool[] | undefined;
  server.server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: (listed ??= toolListing(tools)) }));
}

/** The tools as tools/list shows them (each computed once per process). */
export function toolListing(tools: ToolDefinition[]): Tool[] {
  return tools.map(listedTool);
}

function jsonSchema(schema: z.ZodObject, io: 'input' | 'output'): Tool['inputSchema'] {
  const { $schema: _drop, ...rest } = zodToJsonSchema(schema, { io, target: 'draft-7' }) as Record<string, unknown>;
  return withoutFloodGuards(rest) as Tool['inputSchema'];
}

/** Bounds at or above these only guard the server against floods: no call a model means to make comes near them. */
const FLOOD_GUARD = { maxLength: 4096, maxItems: 1000, maximum: 1_000_000 } as const;

/**
 * The listed schema without what costs every turn and tells a model nothing: flood-guard bounds (a 4096-character
 * path, 100,000 rows, a safe-integer maximum; the server still enforces them, and its refusal names the limit) and
 * `propertyNames: {type: "string"}` (JSON keys are strings).
 */
function withoutFloodGuards(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutFloodGuards);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key in FLOOD_GUARD && typeof value === 'number' && value >= FLOOD_GUARD[key as keyof typeof FLOOD_GUARD]) continue;
    if (key === 'minimum' && typeof value === 'number' && value <= Number.MIN_SAFE_INTEGER) continue;
    if (key === 'propertyNames' && JSON.stringify(value) === '{"type":"string"}') continue;
    // `properties` maps names to schemas: its keys are tool arguments, never keywords.
    out[key] = key === 'properties' || key === 'definitions' ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, withoutFloodGuards(v)])) : withoutFloodGuards(value);
  }
  return out;
}

/**
 * A tool's listing is computed once per process, not per MCP session: an HTTP server makes a server per session,
 * and the JSON schemas depend only on the (immutable) tool definitions.
 */
const listings = new WeakMap<ToolDefinition, Tool>();

function listedTool(tool: ToolDefinition): Tool {
  let listed = listings.get(tool);
  if (!listed) listings.set(tool, (listed = listingOf(tool)));
  return listed;
}

function listingOf(tool: ToolDefinition): Tool {
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
  /** The agent_run the call comes from (in-process calls of a run's agent). */
  run?: ToolContext['run'];
}

/** Run one tool: the single path for MCP calls and in-process calls (agent_run). Never throws. */
export async function executeTool(tool: ToolDefinition, args: Record<string, unknown>, runtime: Runtime, opts: ExecuteOptions): Promise<CallToolResult> {
  const started = performance.now();
  const reply = new ToolResponse(runtime.config.maxOutputChars);
  let lastProgress = -1;
  const ctx: ToolContext = {
    ...bindSandbox(runtime.sandbox, opts.signal),
    sandbox: runtime.sandbox,
    runtime,
    config: runtime.config,
    signal: opts.signal,
    reply,
    wantsProgress: opts.notify !== undefined,
    run: opts.run,
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

/** Per process, like the listings: every agent run would otherwise convert every schema again. */
const agentSpecs = new WeakMap<ToolDefinition, ToolSpec>();

function agentSpecOf(t: ToolDefinition): ToolSpec {
  let spec = agentSpecs.get(t);
  if (!spec)
    agentSpecs.set(
      t,
      (spec = {
        name: t.name,
        description: t.description,
        inputSchema: zodToJsonSchema(t.input, { io: 'input' }) as ToolSpec['inputSchema'], // defaults are optional for the model
        readOnly: isReadOnly(annotationsFor(t.kind)),
      }),
    );
  return spec;
}

/** The server's tools as the agent loop sees them: same path as MCP calls (executeTool), schemas as JSON Schema. */
export function inProcessToolHost(runtime: Runtime, tools: ToolDefinition[], run?: ToolContext['run']): ToolHost {
  const byName = new Map(tools.map((t) => [t.name, t]));
  const specs: ToolSpec[] = tools.map(agentSpecOf);
  return {
    listTools: async () => specs,
    async callTool(name, args, signal) {
      const tool = byName.get(name);
      if (!tool) return { text: `unknown tool ${name}; available: ${[...byName.keys()].join(', ')}`, isError: true };
      const r = await executeTool(tool, args, runtime, { signal, validate: true, run });
      const text = r.content.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('\n');
      const images = r.content.flatMap((c) => (c.type === 'image' ? [{ data: c.data, mimeType: c.mimeType }] : []));
      return { text, images: images.length ? images : undefined, isError: r.isError };
    },
  };
}
