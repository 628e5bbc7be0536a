// McpHub: the external MCP servers a user configured, as one ToolHost for the agent loop.
// - Tools are named `<server>__<tool>` so they never shadow the sandbox tools; `allowedTools` hides the rest.
// - A server that fails to start or dies is reported through `onNotice`; the run goes on without it and calls
//   to its tools return an error that says so.
// - Tool definitions are pinned when first enabled (a hash of name, description, input schema and
//   annotations). When a server's list changes later, new or changed tools are held — the approved
//   definitions keep being served and calls to held tools are refused — until `confirmToolChanges(server)`,
//   which only a human should trigger: a changed description is how a server would smuggle in new orders.
import { createHash } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ToolListChangedNotificationSchema, type Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';
import type { JsonSchemaObject, ToolResult, ToolSpec } from '../agent/types.js';
import { redactSecrets } from '../redact.js';
import { isReadOnly } from '../tool-kinds.js';
import { serverIdentity, type ExternalServerConfig, type McpHubConfig } from './config.js';
import type { RoutingToolHost } from './combine.js';
import { exposedName, toolHash } from './naming.js';
import { DEFAULT_RESULT_LIMITS, toToolResult, type McpCallResult, type ResultLimits } from './results.js';

export type ServerState = 'disabled' | 'connecting' | 'ready' | 'failed' | 'closed';

export interface McpHubNotice {
  server: string;
  level: 'info' | 'warn';
  kind: 'failed' | 'closed' | 'tools_approved' | 'tools_held' | 'tools_removed' | 'config';
  message: string;
  /** For tools_approved / tools_held: what the user should see (descriptions come from the server). */
  tools?: Array<{ name: string; description: string }>;
}

/** Approved tool hashes that outlive the process (keyed per server name + identity). */
export interface PinStore {
  load(key: string): Promise<Record<string, string> | undefined>;
  save(key: string, pins: Record<string, string>): Promise<void>;
}

export interface McpHubOptions {
  clientInfo?: { name: string; version: string };
  /** Connect + initialize + first tools/list, per server (default 30 s). */
  startupTimeoutMs?: number;
  /** One tool call (default 10 min; the caller's signal can end it sooner). */
  callTimeoutMs?: number;
  limits?: Partial<ResultLimits>;
  onNotice?: (notice: McpHubNotice) => void;
  /** A line a stdio server wrote to stderr, redacted. */
  onStderr?: (server: string, line: string) => void;
  pins?: PinStore;
  /** Test seam: the transport for a server, instead of spawning a process or reaching a URL. */
  transport?: (name: string, config: ExternalServerConfig) => Transport | Promise<Transport>;
}

export interface PendingToolChange {
  name: string;
  change: 'new' | 'changed';
  description: string;
}

export interface McpServerStatus {
  name: string;
  type: 'stdio' | 'http';
  state: ServerState;
  error?: string;
  /** Approved tools, as the model sees them. */
  tools: ToolSpec[];
  /** Tools the server offers that allowedTools leaves out (server names). */
  hidden: string[];
  pending: PendingToolChange[];
}

interface ExternalTool {
  original: string;
  exposed: string;
  spec: ToolSpec;
  hash: string;
}

interface ServerEntry {
  name: string;
  config: ExternalServerConfig;
  state: ServerState;
  error?: string;
  client?: Client;
  /** The definitions calls are checked against and the model is shown, by server tool name. */
  approved: Map<string, ExternalTool>;
  /** What the server offers now (allowed tools only). */
  current: Map<string, ExternalTool>;
  hidden: string[];
  stderrTail: string;
  refresh: Promise<void>;
  pinKey: string;
  /** The held set last reported, so repeated list_changed notifications do not repeat the notice. */
  heldReported: string;
}

export const TOOL_CHANGED_MESSAGE = 'tool changed since it was approved; a human must confirm';
const MAX_DESCRIPTION = 4000;
function messageOf(err: unknown): string {
  return redactSecrets(err instanceof Error ? err.message : String(err));
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export class McpHub implements RoutingToolHost {
  private readonly servers = new Map<string, ServerEntry>();
  private readonly limits: ResultLimits;
  private started?: Promise<void>;
  private closing = false;

  constructor(config: McpHubConfig, private readonly options: McpHubOptions = {}) {
    this.limits = { ...DEFAULT_RESULT_LIMITS, ...options.limits };
    for (const [name, cfg] of Object.entries(config.servers)) {
      const pinKey = `${name}:${createHash('sha256').update(serverIdentity(cfg)).digest('hex').slice(0, 16)}`;
      this.servers.set(name, {
        name,
        config: cfg,
        state: cfg.disabled ? 'disabled' : 'connecting',
        approved: new Map(),
        current: new Map(),
        hidden: [],
        stderrTail: '',
        refresh: Promise.resolve(),
        pinKey,
        heldReported: '',
      });
    }
  }

  /** Connect every enabled server, in parallel. Resolves when each is ready or failed; never rejects. */
  start(): Promise<void> {
    this.started ??= Promise.allSettled([...this.servers.values()].filter((s) => s.state === 'connecting').map((s) => this.connect(s))).then(() => {});
    return this.started;
  }

  // ------------------------------------------------------------------------------------- ToolHost

  async listTools(): Promise<ToolSpec[]> {
    const specs: ToolSpec[] = [];
    for (const s of this.servers.values()) if (s.state === 'ready') for (const t of s.approved.values()) specs.push(t.spec);
    return specs;
  }

  handles(name: string): boolean {
    const i = name.indexOf('__');
    return i > 0 && this.servers.has(name.slice(0, i));
  }

  async callTool(name: string, args: Record<string, unknown>, signal: AbortSignal): Promise<ToolResult> {
    const i = name.indexOf('__');
    const s = i > 0 ? this.servers.get(name.slice(0, i)) : undefined;
    if (!s) return { text: `There is no external tool named "${name}".`, isError: true };
    if (s.state === 'disabled') return { text: `MCP server "${s.name}" is disabled in the configuration.`, isError: true };
    if (s.state !== 'ready' || !s.client) return { text: this.unavailable(s), isError: true };
    const approved = [...s.approved.values()].find((t) => t.exposed === name);
    const current = [...s.current.values()].find((t) => t.exposed === name);
    if (!approved) {
      if (current) return { text: `${name}: ${TOOL_CHANGED_MESSAGE} (the server added it after its tools were approved).`, isError: true };
      if (s.hidden.some((h) => exposedName(s.name, h) === name)) return { text: `${name} is not in the allowedTools of MCP server "${s.name}".`, isError: true };
      return { text: `MCP server "${s.name}" has no tool "${name}". Its tools: ${[...s.approved.values()].map((t) => t.exposed).join(', ') || 'none'}.`, isError: true };
    }
    if (!current || current.hash !== approved.hash) {
      const why = current ? 'its definition changed' : 'the server no longer lists it';
      return { text: `${name}: ${TOOL_CHANGED_MESSAGE} (${why}).`, isError: true };
    }
    try {
      const result = await s.client.callTool({ name: approved.original, arguments: args }, undefined, { signal, timeout: this.options.callTimeoutMs ?? 600_000 });
      return toToolResult(result as McpCallResult, this.limits);
    } catch (err) {
      if (signal.aborted) return { text: 'cancelled', isError: true };
      if (s.state !== 'ready') return { text: this.unavailable(s), isError: true };
      return { text: `${name} failed: ${messageOf(err)}`, isError: true };
    }
  }

  // ------------------------------------------------------------------------------- state & control

  status(): McpServerStatus[] {
    return [...this.servers.values()].map((s) => ({
      name: s.name,
      type: s.config.type,
      state: s.state,
      ...(s.error ? { error: s.error } : {}),
      tools: [...s.approved.values()].map((t) => t.spec),
      hidden: [...s.hidden],
      pending: this.pending(s),
    }));
  }

  /** Approve the server's current tool list (new and changed tools); returns the tools approved now. */
  async confirmToolChanges(server: string): Promise<PendingToolChange[]> {
    const s = this.servers.get(server);
    if (!s) throw new Error(`no MCP server "${server}"; configured: ${[...this.servers.keys()].join(', ') || 'none'}`);
    await s.refresh;
    const pending = this.pending(s);
    if (pending.length === 0) return [];
    s.approved = new Map(s.current);
    s.heldReported = '';
    await this.savePins(s);
    this.notice(s, 'info', 'tools_approved', `a human confirmed the changed tools of MCP server "${s.name}": ${pending.map((p) => p.name).join(', ')}`, pending);
    return pending;
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.allSettled(
      [...this.servers.values()].map(async (s) => {
        const c = s.client;
        s.client = undefined;
        if (s.state === 'ready' || s.state === 'connecting') s.state = 'closed';
        await c?.close();
      }),
    );
  }

  // ------------------------------------------------------------------------------------ internals

  private unavailable(s: ServerEntry): string {
    return `MCP server "${s.name}" is unavailable${s.error ? ` (${s.error})` : ''}; its tools cannot be used now. Carry on without them.`;
  }

  private pending(s: ServerEntry): PendingToolChange[] {
    const out: PendingToolChange[] = [];
    for (const [name, t] of s.current) {
      const a = s.approved.get(name);
      if (!a) out.push({ name: t.exposed, change: 'new', description: t.spec.description });
      else if (a.hash !== t.hash) out.push({ name: t.exposed, change: 'changed', description: t.spec.description });
    }
    return out;
  }

  private notice(s: ServerEntry, level: McpHubNotice['level'], kind: McpHubNotice['kind'], message: string, tools?: McpHubNotice['tools']): void {
    if (this.closing && kind !== 'tools_approved') return;
    try {
      this.options.onNotice?.({ server: s.name, level, kind, message: redactSecrets(message), ...(tools ? { tools } : {}) });
    } catch {
      // a listener's failure is not the server's
    }
  }

  private async makeTransport(s: ServerEntry): Promise<Transport> {
    if (this.options.transport) return this.options.transport(s.name, s.config);
    const cfg = s.config;
    // The SDK's client half is loaded on first use: most servers run without --mcp-config, and it costs start time.
    if (cfg.type === 'http') {
      const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
      return new StreamableHTTPClientTransport(new URL(cfg.url), { requestInit: { headers: cfg.headers } });
    }
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
    // Only the SDK's safe default variables (PATH, HOME, …) plus the configured env reach the server: the
    // host's model and search keys stay here.
    const t = new StdioClientTransport({ command: cfg.command, args: cfg.args, env: cfg.env, cwd: cfg.cwd, stderr: 'pipe' });
    let partial = '';
    t.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      s.stderrTail = (s.stderrTail + redactSecrets(text)).slice(-2000);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      if (partial.length > 4000) partial = '';
      for (const line of lines) if (line.trim()) this.options.onStderr?.(s.name, redactSecrets(line).slice(0, 2000));
    });
    return t;
  }

  private lastStderr(s: ServerEntry): string {
    const line = s.stderrTail.trim().split('\n').filter((l) => l.trim()).at(-1);
    return line ? `; last stderr line: ${redactSecrets(line).slice(0, 300)}` : ''; // redact first: a cut could split a secret
  }

  private async connect(s: ServerEntry): Promise<void> {
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const client = new Client(this.options.clientInfo ?? { name: 'suna-mcp-hub', version: '0.1.0' }, { capabilities: {} });
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      s.refresh = s.refresh.then(() => this.refresh(s, client)).catch(() => {});
    });
    const ms = this.options.startupTimeoutMs ?? 30_000;
    try {
      const transport = await this.makeTransport(s);
      await withTimeout(
        (async () => {
          await client.connect(transport, { timeout: ms });
          const tools = await this.fetchTools(client, ms);
          await this.adopt(s, tools, true);
        })(),
        ms,
        'starting the server',
      );
      if (this.closing) throw new Error('the hub is closing');
      s.client = client;
      s.state = 'ready';
      client.onclose = () => this.onClosed(s, client);
    } catch (err) {
      s.state = 'failed';
      s.error = `could not start: ${messageOf(err)}${this.lastStderr(s)}`;
      await client.close().catch(() => {});
      this.notice(s, 'warn', 'failed', `MCP server "${s.name}" ${s.error}; the run continues without its tools`);
    }
  }

  private onClosed(s: ServerEntry, client: Client): void {
    if (s.client !== client || this.closing) return;
    s.client = undefined;
    s.state = 'closed';
    s.error = `the server ${s.config.type === 'stdio' ? 'process exited' : 'connection closed'}${this.lastStderr(s)}`;
    this.notice(s, 'warn', 'closed', `MCP server "${s.name}" stopped: ${s.error}; its tools are unavailable for the rest of the run`);
  }

  private async fetchTools(client: Client, timeout: number): Promise<McpTool[]> {
    const tools: McpTool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const r = await client.listTools(cursor ? { cursor } : {}, { timeout });
      tools.push(...r.tools);
      cursor = r.nextCursor;
      if (!cursor) break;
    }
    return tools;
  }

  private async refresh(s: ServerEntry, client: Client): Promise<void> {
    if (s.client !== client) return;
    try {
      await this.adopt(s, await this.fetchTools(client, this.options.startupTimeoutMs ?? 30_000), false);
    } catch (err) {
      this.notice(s, 'warn', 'config', `MCP server "${s.name}" announced a new tool list but listing it failed: ${messageOf(err)}`);
    }
  }

  /** Take a tool list from the server: pin it when first enabled, hold what changed afterwards. */
  private async adopt(s: ServerEntry, tools: McpTool[], first: boolean): Promise<void> {
    if (s.state !== (first ? 'connecting' : 'ready')) return; // timed out meanwhile, or gone
    const allowed = s.config.allowedTools ? new Set(s.config.allowedTools) : undefined;
    const current = new Map<string, ExternalTool>();
    const hidden: string[] = [];
    const taken = new Set<string>();
    for (const t of tools) {
      if (allowed && !allowed.has(t.name)) {
        hidden.push(t.name);
        continue;
      }
      const exposed = exposedName(s.name, t.name);
      if (taken.has(exposed)) {
        this.notice(s, 'warn', 'config', `MCP server "${s.name}": tool "${t.name}" is left out, its name clashes with another tool as ${exposed}`);
        continue;
      }
      taken.add(exposed);
      const description = (t.description ?? t.title ?? '').slice(0, MAX_DESCRIPTION);
      const inputSchema = (t.inputSchema ?? { type: 'object' }) as JsonSchemaObject;
      current.set(t.name, { original: t.name, exposed, hash: toolHash(t), spec: { name: exposed, description, inputSchema, readOnly: isReadOnly(t.annotations) } });
    }
    s.current = current;
    s.hidden = hidden;
    if (first) {
      if (allowed) {
        const missing = [...allowed].filter((n) => !tools.some((t) => t.name === n));
        if (missing.length) this.notice(s, 'warn', 'config', `MCP server "${s.name}": allowedTools names tools it does not offer: ${missing.join(', ')}`);
      }
      const pins = await this.options.pins?.load(s.pinKey).catch(() => undefined);
      if (!pins) {
        // First enabled: everything it offers now is approved, and shown to the user.
        s.approved = new Map(current);
        await this.savePins(s);
        const list = [...current.values()].map((t) => ({ name: t.exposed, description: t.spec.description }));
        this.notice(s, 'info', 'tools_approved', `MCP server "${s.name}" enabled with ${list.length} tools: ${list.map((t) => t.name).join(', ') || 'none'}`, list);
      } else {
        s.approved = new Map([...current].filter(([name, t]) => pins[name] === t.hash));
        this.reportHeld(s);
      }
      return;
    }
    const removed = [...s.approved.keys()].filter((name) => !current.has(name));
    for (const name of removed) s.approved.delete(name);
    if (removed.length) this.notice(s, 'info', 'tools_removed', `MCP server "${s.name}" no longer offers: ${removed.map((n) => exposedName(s.name, n)).join(', ')}`);
    this.reportHeld(s);
  }

  private reportHeld(s: ServerEntry): void {
    const held = this.pending(s);
    const key = held.map((h) => `${h.name}:${s.current.get(this.originalOf(s, h.name))?.hash}`).join(',');
    if (key === s.heldReported) return;
    s.heldReported = key;
    if (held.length) this.notice(s, 'warn', 'tools_held', this.heldMessage(s, held), held);
  }

  private originalOf(s: ServerEntry, exposed: string): string {
    return [...s.current.values()].find((t) => t.exposed === exposed)?.original ?? exposed;
  }

  private heldMessage(s: ServerEntry, held: PendingToolChange[]): string {
    return (
      `MCP server "${s.name}" changed its tools since they were approved (${held.map((h) => `${h.name}: ${h.change}`).join(', ')}); ` +
      'they are held until a human confirms them'
    );
  }

  private async savePins(s: ServerEntry): Promise<void> {
    if (!this.options.pins) return;
    const pins: Record<string, string> = {};
    for (const [name, t] of s.approved) pins[name] = t.hash;
    await this.options.pins.save(s.pinKey, pins).catch(() => {});
  }
}
