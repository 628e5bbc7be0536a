// The server factory: one Runtime (config, sandbox, logger) per process, one McpServer per MCP session.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { Sandbox } from '@suna/sandbox';
import { AgentRunManager } from './agent/runs.js';
import { createStore, openRunStore } from './agent/store.js';
import { BrowserSession } from './browser/session.js';
import { LocalSiteHost } from './deploy/static-host.js';
import { Semaphore } from './limits.js';
import { bindSandboxMetrics } from './metrics.js';
import type { ServerConfig } from './config.js';
import { createLogger, type Logger } from './log.js';
import { registerWorkspaceResources } from './resources.js';
import { registerTools, type Runtime } from './tool.js';
import { allTools, toolsFor, unavailableTools } from './tools/index.js';

declare const __SUNA_VERSION__: string | undefined;
export const VERSION = typeof __SUNA_VERSION__ === 'string' ? __SUNA_VERSION__ : '0.0.0-dev';

const INSTRUCTIONS =
  'Tools of suna-mcp act inside an isolated Linux sandbox (Debian, non-root user "user", working directory /workspace), never on the host. ' +
  'File paths are relative to /workspace. Use shell_exec for short commands and shell_start + shell_output for servers and long jobs. ' +
  'Long outputs are cut to their start and end; the full text is saved under .suna/output/ and can be paged with file_read.';

export function createRuntime(config: ServerConfig, log: Logger = createLogger(config.logLevel)): Runtime {
  const sandbox = new Sandbox(config.sandbox, (line) => log.info(line, { component: 'sandbox' }));
  const runtime = {
    config,
    sandbox,
    log,
    outputCursors: new Map(),
    browser: new BrowserSession(sandbox, log, config.browserProfile),
    ports: new Map(),
    sites: new LocalSiteHost(config.dataDir, createStore('sites', config.dataDir), config.exposeHost),
    callSlots: new Semaphore(config.maxConcurrentCalls),
  } as Omit<Runtime, 'runs'> as Runtime;
  bindSandboxMetrics(sandbox);
  sandbox.egress.on('decision', (d) => log.info(`egress ${d.verdict} ${d.host}:${d.port}`, { component: 'egress', ...d }));
  // The agent gets every tool of this server except the agent tools themselves.
  runtime.runs = new AgentRunManager(runtime, openRunStore(config.store, config.dataDir, (m, f) => log.warn(m, f)), () => {
    const hidden = unavailableTools(config);
    return allTools().filter((t) => !t.name.startsWith('agent_') && !hidden.has(t.name));
  });
  return runtime;
}

export function createServer(config: ServerConfig, runtime: Runtime = createRuntime(config)): McpServer {
  const server = new McpServer({ name: 'suna-mcp', version: VERSION, title: 'Suna sandbox' }, { instructions: INSTRUCTIONS });
  registerTools(server, runtime, toolsFor(config));
  registerWorkspaceResources(server, runtime);
  return server;
}
