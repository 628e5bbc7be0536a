// All tool families, assembled in one list.
import type { ToolDefinition } from '../tool.js';
import { agentTools } from './agent.js';
import { browserTools } from './browser.js';
import { checkpointTools } from './checkpoints.js';
import { codeTools } from './code.js';
import { deployTools } from './deploy.js';
import { exchangeTools } from './exchange.js';
import { portTools } from './ports.js';
import { visionTools } from './vision.js';
import { fileTools } from './files.js';
import { mcpServerTools } from './mcp-servers.js';
import { sandboxTools } from './sandbox.js';
import { sheetTools } from './sheets.js';
import { shellTools } from './shell.js';
import { syncTools } from './sync.js';
import { webTools } from './web.js';
import { checkpointsListed, unavailableTools, type ToolsConfig } from './availability.js';

export { unavailableTools } from './availability.js';

export const TOOL_FAMILIES = {
  shell: shellTools,
  files: fileTools,
  exchange: exchangeTools,
  sandbox: sandboxTools,
  checkpoints: checkpointTools,
  browser: browserTools,
  web: webTools,
  vision: visionTools,
  sheets: sheetTools,
  code: codeTools,
  ports: portTools,
  deploy: deployTools,
  agent: agentTools,
  mcp: mcpServerTools,
  sync: syncTools,
} satisfies Record<string, ToolDefinition[]>;

export type ToolFamily = keyof typeof TOOL_FAMILIES;

/** What `--tools` selects, by name; sandbox_status / sandbox_reset are always there. */
export const TOOL_SETS: Record<string, ToolFamily[]> = {
  shell: ['shell'],
  files: ['files', 'vision', 'exchange'],
  browser: ['browser'],
  web: ['web'],
  sheets: ['sheets'],
  code: ['code'],
  deploy: ['ports', 'deploy'],
  agent: ['agent', 'mcp'],
  checkpoints: ['checkpoints'],
};

/** The sync family is for the VS Code extension only: listed only with --sync-tools. */
const ALL_BUT_SYNC = (Object.keys(TOOL_FAMILIES) as ToolFamily[]).filter((f) => f !== 'sync');

/** Listed on request only (every tool costs every turn of every conversation): see checkpointsListed. */
const DEFAULT_FAMILIES = ALL_BUT_SYNC.filter((f) => f !== 'checkpoints');

/** The set a family belongs to, as the README and --help name it. */
export function setOf(family: ToolFamily): string {
  if (family === 'sandbox') return 'always';
  if (family === 'sync') return '--sync-tools';
  return Object.entries(TOOL_SETS).find(([, fams]) => fams.includes(family))?.[0] ?? family;
}

/** The tools a server with this configuration registers. Fewer tools cost the client less context. */
export function toolsFor(config: ToolsConfig, env: NodeJS.ProcessEnv = process.env): ToolDefinition[] {
  const hidden = unavailableTools(config, env);
  let families: ToolFamily[] = DEFAULT_FAMILIES;
  if (config.tools?.length) {
    const unknown = config.tools.filter((t) => t !== 'default' && !(t in TOOL_SETS));
    if (unknown.length) throw new Error(`--tools: unknown set ${unknown.join(', ')}; choose from default, ${Object.keys(TOOL_SETS).join(', ')}`);
    families = ['sandbox', ...config.tools.flatMap((t) => (t === 'default' ? DEFAULT_FAMILIES : TOOL_SETS[t]!))];
  } else if (checkpointsListed(config, env)) families = ALL_BUT_SYNC;
  return allTools(config.syncTools ? [...families, 'sync'] : families).filter((t) => !hidden.has(t.name));
}

/** By default every family but sync: what an agent run may call, whatever the listing shows. */
export function allTools(families: ToolFamily[] = ALL_BUT_SYNC): ToolDefinition[] {
  return [...new Set(families)].flatMap((f) => TOOL_FAMILIES[f] as ToolDefinition[]);
}
