// Which tools cannot work in this configuration (no key, no config file), and what would make them work: one
// place, used by tools/list (they are hidden) and by sandbox_status (which says why).
import { agentTools } from './agent.js';
import { checkpointTools } from './checkpoints.js';

export type ToolsConfig = { tools?: string[]; syncTools?: boolean; mcpConfig?: string; modelBaseUrl?: string };

/**
 * Tools that cannot work in this configuration, each with what would make it work. They are not listed (every
 * tool costs every conversation context), and sandbox_status says which are hidden and why.
 */
export function unavailableTools(config: ToolsConfig, env: NodeJS.ProcessEnv = process.env): Map<string, string> {
  const hidden = new Map<string, string>();
  if (!env.TAVILY_API_KEY) hidden.set('web_search', 'set TAVILY_API_KEY on the server');
  if (!env.ANTHROPIC_API_KEY && !env.OPENAI_API_KEY && !env.OPENAI_COMPATIBLE_API_KEY && !config.modelBaseUrl)
    for (const t of agentTools) hidden.set(t.name, 'set ANTHROPIC_API_KEY or OPENAI_API_KEY on the server, or --model-base-url for a local model');
  if (!config.mcpConfig) hidden.set('mcp_servers', 'start the server with --mcp-config');
  return hidden;
}


/**
 * Checkpoints are listed on request only (an MCP client rarely takes them by hand; agent_run takes its own): with
 * `--tools …,checkpoints`, with --sync-tools (the panel), or when agent_run is listed (its results name them).
 */
export function checkpointsListed(config: ToolsConfig, env: NodeJS.ProcessEnv = process.env): boolean {
  if (config.tools?.length) return config.tools.includes('checkpoints');
  return !!config.syncTools || !unavailableTools(config, env).has('agent_run');
}

/** What sandbox_status says when they are not listed. */
export function checkpointsNotListedLine(config: ToolsConfig, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (checkpointsListed(config, env)) return undefined;
  return `not listed: ${checkpointTools.map((t) => t.name).join(', ')} (start the server with --tools default,checkpoints; they are listed with agent_run)`;
}
