// The McpHub of the `suna.mcpServers` setting, for chat runs (no VS Code API). Servers start lazily with the
// first run (a user who never chats spawns nothing), are shared by later runs, and start over when the
// setting or a secret changes. What happens to them reaches the transcript of the runs using them.
import { attachRun, McpHub, RunHubListeners, type McpHubNotice, type McpHubOptions, type McpServerStatus, type PendingToolChange, type PinStore, type RoutingToolHost, type RunHubNotice } from '@suna/shared/mcp-hub/index';
import { loadExternalServers, type SecretGetter } from './external-servers.js';

export type NoticeLevel = 'info' | 'warning';
export type RunNotice = (level: NoticeLevel, text: string) => void;

export interface ExternalHubOptions {
  /** The raw `suna.mcpServers` value. */
  read(): unknown;
  getSecret: SecretGetter;
  pins: PinStore;
  log(line: string): void;
  /** Every hub notice, for the UI (e.g. the tool list of a server enabled for the first time). */
  onNotice?(notice: McpHubNotice): void;
  clientInfo?: { name: string; version: string };
  /** Test seam, passed to the hub. */
  transport?: McpHubOptions['transport'];
}

/** A server as the Manage command shows it: the hub's status, or why it was left out of the hub. */
export type ServerView = McpServerStatus | { name: string; state: 'failed'; error: string; tools: []; hidden: []; pending: PendingToolChange[]; type?: undefined };

interface Generation {
  hub: McpHub;
  problems: Record<string, string>;
  users: number;
  retired: boolean;
  /** The runs using this hub hear what happens to its servers. */
  listeners: RunHubListeners;
}

export class ExternalHub {
  private current?: Promise<Generation | undefined>;

  constructor(private readonly opts: ExternalHubOptions) {}

  /**
   * The external tools for one run, once the servers have started (or failed), with a notice per server that
   * is unavailable or holds changes; later failures reach `notice` until `detach`. undefined: none configured.
   */
  async forRun(signal: AbortSignal, notice: RunNotice): Promise<{ host: RoutingToolHost; detach(): void } | undefined> {
    const gen = await this.generation();
    if (!gen) return undefined;
    gen.users++;
    let detached = false;
    let stopListening = () => {};
    const detach = () => {
      if (detached) return;
      detached = true;
      stopListening();
      if (--gen.users === 0 && gen.retired) void gen.hub.close();
    };
    for (const [name, problem] of Object.entries(gen.problems)) notice('warning', `MCP server "${name}" was left out: ${problem}`);
    stopListening = await attachRun(gen.hub, gen.listeners, signal, (n) => notice(n.kind === 'ready' || (n.kind === 'hub' && n.notice.level === 'info') ? 'info' : 'warning', wording(n)), () => !detached);
    return { host: gen.hub, detach };
  }

  /** Servers with their state; starts them when no run has yet (the user asked to see them). */
  async status(): Promise<ServerView[]> {
    const gen = await this.generation();
    if (!gen) return [];
    await gen.hub.start();
    const problems: ServerView[] = Object.entries(gen.problems).map(([name, error]) => ({ name, state: 'failed', error, tools: [], hidden: [], pending: [] }));
    return [...gen.hub.status(), ...problems];
  }

  async confirmToolChanges(server: string): Promise<PendingToolChange[]> {
    const gen = await this.generation();
    if (!gen) throw new Error('no MCP servers are configured in suna.mcpServers');
    return gen.hub.confirmToolChanges(server);
  }

  /** The setting or a secret changed: the next run (or status) starts the servers anew; running runs keep theirs. */
  reset(): void {
    const old = this.current;
    this.current = undefined;
    void old?.then((gen) => {
      if (!gen) return;
      gen.retired = true;
      if (gen.users === 0) void gen.hub.close();
    });
  }

  async dispose(): Promise<void> {
    const old = this.current;
    this.current = undefined;
    const gen = await old;
    await gen?.hub.close();
  }

  private generation(): Promise<Generation | undefined> {
    this.current ??= this.create().catch((err: Error) => {
      this.current = undefined; // read again next time
      throw err;
    });
    return this.current;
  }

  private async create(): Promise<Generation | undefined> {
    const { config, problems } = await loadExternalServers(this.opts.read(), this.opts.getSecret);
    if (!Object.keys(config.servers).length && !Object.keys(problems).length) return undefined;
    for (const [name, problem] of Object.entries(problems)) this.opts.log(`MCP server ${name} left out: ${problem}`);
    const listeners = new RunHubListeners();
    const hub = new McpHub(config, {
      clientInfo: this.opts.clientInfo ?? { name: 'suna-vscode', version: '0.1.0' },
      pins: this.opts.pins,
      onNotice: (n) => this.onNotice(n, listeners),
      onStderr: (server, line) => this.opts.log(`[mcp ${server}] ${line}`),
      ...(this.opts.transport ? { transport: this.opts.transport } : {}),
    });
    return { hub, problems, users: 0, retired: false, listeners };
  }

  private onNotice(n: McpHubNotice, listeners: RunHubListeners): void {
    this.opts.log(`MCP server ${n.server}: ${n.message}`);
    try {
      this.opts.onNotice?.(n);
    } catch {
      // the UI's trouble is not the run's
    }
    listeners.publish(n);
  }
}

/** How the extension words a hub notice in a chat transcript (the user confirms held changes with a command). */
function wording(n: RunHubNotice): string {
  switch (n.kind) {
    case 'unavailable':
      return `MCP server "${n.server}" is unavailable (${n.reason}); this run continues without its tools.`;
    case 'held':
      return heldText(n.server, n.tools.map((t) => t.name));
    case 'ready':
      return `External MCP tools: ${n.tools.join(', ')}`;
    case 'hub':
      return n.notice.message;
  }
}

function heldText(server: string, names: string[]): string {
  return `MCP server "${server}" changed its tools since you approved them (${names.join(', ')}); they are held until you confirm them with "Suna: Manage MCP Servers".`;
}
