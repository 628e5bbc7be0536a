// The server factory: one Runtime per process (runtime.ts), one McpServer per MCP session.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ServerConfig } from './config.js';
import type { Logger } from './log.js';
import { registerWorkspaceResources } from './resources.js';
import { createRuntime as buildRuntime, type Runtime } from './runtime.js';
import { registerTools } from './tool.js';
import { allTools, toolsFor, unavailableTools } from './tools/index.js';
import { VERSION } from './version.js';

export { VERSION } from './version.js';

const INSTRUCTIONS =
  'Tools of suna-mcp act inside an isolated Linux sandbox (Debian, non-root user "user", working directory /workspace), never on the host. ' +
  'File paths are relative to /workspace. Use shell_exec for short commands and shell_start + shell_output for servers and long jobs. ' +
  'Long outputs are cut to their start and end; the full text is saved under .suna/output/ and can be paged with file_read.';

/** The runtime of this server: the agent gets every tool of this server except the agent tools themselves. */
export function createRuntime(config: ServerConfig, log?: Logger): Runtime {
  const agentTools = () => {
    const hidden = unavailableTools(config);
    return allTools().filter((t) => !t.name.startsWith('agent_') && !hidden.has(t.name));
  };
  return buildRuntime(config, { log, agentTools });
}

export function createServer(config: ServerConfig, runtime: Runtime = createRuntime(config)): McpServer {
  const server = new McpServer({ name: 'suna-mcp', version: VERSION, title: 'Suna sandbox' }, { instructions: INSTRUCTIONS });
  registerTools(server, runtime, toolsFor(config));
  registerWorkspaceResources(server, runtime);
  return server;
}
