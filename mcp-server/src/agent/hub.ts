// External MCP servers (--mcp-config) for agent runs: parsed on demand, started with the first agent_run and
// shared by every later run of this process; what happens to them reaches the transcripts of the runs using them.
import { readFileSync } from 'node:fs';
import { attachRun, McpConfigError, McpHub, parseMcpConfig, RunHubListeners, type McpHubConfig, type McpHubNotice, type PinStore, type RunHubNotice } from '@suna/shared/mcp-hub/index';
import type { ServerConfig } from '../config.js';
import type { Logger } from '../log.js';
import { ToolError } from '../errors.js';
import { VERSION } from '../version.js';
import { createStore } from './store.js';


/** What the server knows about external MCP servers: none configured, or the parsed file and (once started) the hub. */
export type ExternalServers = { configFile?: undefined } | { configFile: string; config: McpHubConfig; hub?: McpHub };

/** A run's line in its transcript. */
export type RunNote = (text: string) => void;

export class RunHub {
  private parsed?: McpHubConfig;
  private hub?: McpHub;
  /** Runs that hear about external servers failing or changing (those past their start-up summary). */
  private readonly listeners = new RunHubListeners();

  constructor(
    private readonly server: ServerConfig,
    private readonly log: Logger,
  ) {}

  /** The --mcp-config file, parsed once it parses (a broken file is read again next time, so a fix needs no restart). */
  externalServers(): ExternalServers {
    const file = this.server.mcpConfig;
    if (!file) return {};
    if (!this.parsed) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new ToolError(`--mcp-config: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
      try {
        this.parsed = parseMcpConfig(text, { source: file });
      } catch (err) {
        if (err instanceof McpConfigError) throw new ToolError(`--mcp-config ${err.message}`);
        throw err;
      }
    }
    return { configFile: file, config: this.parsed, hub: this.hub };
  }

  /** The hub, started on first use (a broken --mcp-config throws here, so agent_run fails with the problem). */
  ensure(): McpHub | undefined {
    const ext = this.externalServers();
    if (!ext.configFile || this.hub) return this.hub;
    const log = this.log;
    const approvals = createStore('mcp-approvals', this.server.dataDir);
    const pins: PinStore = {
      load: async (key) => (await approvals.get(key)) as Record<string, string> | undefined,
      save: async (key, value) => void (await approvals.set(key, value)),
    };
    this.hub = new McpHub(ext.config, {
      clientInfo: { name: 'suna-mcp', version: VERSION },
      limits: { maxOutputChars: this.server.maxOutputChars },
      pins,
      onNotice: (n) => this.onNotice(n),
      onStderr: (server, line) => log.debug('external MCP server stderr', { server, line }),
    });
    log.info('starting external MCP servers', { config: ext.configFile, servers: Object.keys(ext.config.servers) });
    void this.hub.start();
    return this.hub;
  }

  /** Wait for the servers to start, then tell the run what it has (and lacks), and keep it informed until `detach`. */
  async attach(signal: AbortSignal, note: RunNote): Promise<{ hub: McpHub; detach(): void } | undefined> {
    const hub = this.hub;
    if (!hub) return undefined;
    const detach = await attachRun(hub, this.listeners, signal, (n) => note(wording(n)));
    return { hub, detach };
  }

  private onNotice(n: McpHubNotice): void {
    const log = this.log;
    if (n.kind === 'tools_approved' && n.tools) {
      // Shown to the user once, when first enabled (or confirmed): the descriptions the model will read.
      log.info('external MCP tools enabled', { server: n.server, tools: n.tools });
    } else if (n.level === 'warn') log.warn(n.message, { server: n.server, kind: n.kind });
    else log.info(n.message, { server: n.server, kind: n.kind });
    this.listeners.publish(n);
  }

  /** External stdio servers are child processes of ours: stop them with us. */
  async close(): Promise<void> {
    await Promise.race([this.hub?.close(), new Promise((r) => setTimeout(r, 500))]);
  }
}

/** How this server words a hub notice in a run's transcript (the human reviews held changes with mcp_servers). */
function wording(n: RunHubNotice): string {
  switch (n.kind) {
    case 'unavailable':
      return `MCP server "${n.server}" is unavailable (${n.reason}); this run continues without its tools`;
    case 'held':
      return `MCP server "${n.server}" has tool changes held until a human confirms them: ${n.tools.map((t) => (t.change ? `${t.name} (${t.change})` : t.name)).join(', ')}; see mcp_servers {"action":"list"}`;
    case 'ready':
      return `external tools: ${n.tools.join(', ')}`;
    case 'hub':
      return n.notice.message;
  }
}
