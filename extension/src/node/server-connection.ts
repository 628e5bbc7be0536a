// One MCP client connection to suna-mcp: the bundled server over stdio (started here, restarted with
// backoff when it dies) or a configured Streamable HTTP URL with a bearer token. No VS Code API here.
import { EventEmitter } from 'node:events';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ServerStatus } from '../common/protocol.js';

export type ServerLaunch =
  | { kind: 'stdio'; command: string; args: string[]; env: Record<string, string>; cwd?: string }
  | { kind: 'http'; url: string; token?: string };

export interface ConnectionState {
  status: ServerStatus;
  detail?: string;
}

const BACKOFF_MS = [1000, 2000, 5000, 10_000, 30_000];
/** More deaths than this within the window stop the automatic restarts (a broken install loops otherwise). */
const MAX_DEATHS = 5;
const DEATH_WINDOW_MS = 120_000;

export class ServerConnection extends EventEmitter<{ state: [ConnectionState]; ready: [] }> {
  state: ConnectionState = { status: 'stopped' };
  private client: Client | null = null;
  private connecting: Promise<Client> | null = null;
  private tools: Tool[] | null = null;
  private deaths: number[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  private generation = 0;

  constructor(
    private readonly launch: () => Promise<ServerLaunch>,
    private readonly log: (line: string) => void,
  ) {
    super();
  }

  get mode(): 'stdio' | 'http' {
    return this.lastLaunch?.kind ?? 'stdio';
  }
  private lastLaunch: ServerLaunch | undefined;

  private setState(s: ConnectionState): void {
    this.state = s;
    this.emit('state', s);
  }

  /** The connected client, connecting first when needed. */
  ready(): Promise<Client> {
    if (this.client) return Promise.resolve(this.client);
    if (this.disposed) return Promise.reject(new Error('the extension is shutting down'));
    this.connecting ??= this.connect().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async connect(): Promise<Client> {
    const gen = ++this.generation;
    this.setState({ status: this.deaths.length ? 'restarting' : 'starting' });
    try {
      const launch = await this.launch();
      this.lastLaunch = launch;
      const transport = this.transportFor(launch);
      const client = new Client({ name: 'suna-vscode', version: '0.1.0' });
      transport.onclose = () => this.onClosed(gen);
      await client.connect(transport);
      if (gen !== this.generation) {
        await client.close().catch(() => {});
        throw new Error('superseded by a restart');
      }
      this.client = client;
      this.tools = null;
      this.setState({ status: 'ready', detail: launch.kind === 'http' ? launch.url : undefined });
      this.emit('ready');
      return client;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log(`suna-mcp did not start: ${message}`);
      this.setState({ status: 'error', detail: message });
      this.scheduleRestart();
      throw err;
    }
  }

  private transportFor(launch: ServerLaunch): Transport {
    if (launch.kind === 'http') {
      const headers: Record<string, string> = launch.token ? { Authorization: `Bearer ${launch.token}` } : {};
      return new StreamableHTTPClientTransport(new URL(launch.url), { requestInit: { headers } });
    }
    this.log(`starting ${launch.command} ${launch.args.join(' ')}`);
    const t = new StdioClientTransport({ command: launch.command, args: launch.args, env: launch.env, cwd: launch.cwd, stderr: 'pipe' });
    t.stderr?.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line.trim()) this.log(line);
    });
    return t;
  }

  private onClosed(gen: number): void {
    if (gen !== this.generation) return;
    const wasReady = this.client !== null;
    this.client = null;
    this.tools = null;
    if (this.disposed) return;
    if (wasReady) this.log('suna-mcp exited');
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.disposed || this.restartTimer) return;
    const now = Date.now();
    this.deaths = [...this.deaths.filter((t) => now - t < DEATH_WINDOW_MS), now];
    if (this.deaths.length > MAX_DEATHS) {
      this.setState({ status: 'error', detail: `suna-mcp stopped ${this.deaths.length} times in two minutes; see the Suna output, then run "Suna: Restart Server"` });
      return;
    }
    const delay = BACKOFF_MS[Math.min(this.deaths.length - 1, BACKOFF_MS.length - 1)]!;
    if (this.state.status !== 'error') this.setState({ status: 'restarting', detail: `restarting in ${delay / 1000} s` });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.ready().catch(() => {});
    }, delay);
  }

  /** Stop and start again now (the user asked, or settings changed). */
  async restart(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.deaths = [];
    const old = this.client;
    this.client = null;
    this.generation++;
    await old?.close().catch(() => {});
    await this.ready();
  }

  async listTools(): Promise<Tool[]> {
    if (this.tools) return this.tools;
    const all = await this.withSession(async (client) => {
      const tools: Tool[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : {});
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor);
      return tools;
    });
    this.tools = all;
    return all;
  }

  async callTool(name: string, args: Record<string, unknown>, opts: { signal?: AbortSignal; timeoutMs?: number; onProgress?: (message: string | undefined) => void } = {}): Promise<CallToolResult> {
    return this.withSession(
      async (client) =>
        (await client.callTool({ name, arguments: args }, undefined, {
          signal: opts.signal,
          timeout: opts.timeoutMs ?? 600_000,
          resetTimeoutOnProgress: true,
          ...(opts.onProgress ? { onprogress: (p: { message?: string }) => opts.onProgress!(p.message) } : {}),
        })) as CallToolResult,
    );
  }

  /**
   * Runs one request on the connected client. An HTTP server answers 404 to a session it no longer knows (it
   * restarted, or the session expired): the request was not processed, so we start a new session and send it
   * once more instead of failing every call until the user restarts by hand.
   */
  private async withSession<T>(op: (client: Client) => Promise<T>): Promise<T> {
    const client = await this.ready();
    try {
      return await op(client);
    } catch (err) {
      if (!(err instanceof StreamableHTTPError && err.code === 404) || this.lastLaunch?.kind !== 'http' || this.disposed) throw err;
      this.log('suna-mcp: the HTTP session expired on the server; starting a new one');
      if (this.client === client) {
        this.client = null;
        this.tools = null;
        this.generation++;
        await client.close().catch(() => {});
      }
      return op(await this.ready());
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.restartTimer);
    this.generation++;
    const c = this.client;
    this.client = null;
    await c?.close().catch(() => {});
    this.setState({ status: 'stopped' });
  }
}

/** The text blocks of a result, joined. */
export function resultText(r: CallToolResult): string {
  return r.content
    .filter((c) => c.type === 'text')
    .map((c) => (c as { text: string }).text)
    .join('\n');
}

/** A sandbox name for a workspace folder: readable, unique per path, within the server's name rule. */
export function sandboxNameFor(folderName: string, folderPath: string, hash: (s: string) => string): string {
  const slug = folderName.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 40).replace(/[-.]+$/, '') || 'workspace';
  return `vscode-${slug}-${hash(folderPath).slice(0, 8)}`;
}
