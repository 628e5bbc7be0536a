// All tool families, assembled in one list.
import type { ToolDefinition } from '../tool.js';
import { agentTools } from './agent.js';
import { browserTools } from './browser.js';
import { deployTools } from './deploy.js';
import { portTools } from './ports.js';
import { visionTools } from './vision.js';
import { fileTools } from './files.js';
import { sandboxTools } from './sandbox.js';
import { sheetTools } from './sheets.js';
import { shellTools } from './shell.js';
import { webTools } from './web.js';

export const TOOL_FAMILIES = {
  shell: shellTools,
  files: fileTools,
  sandbox: sandboxTools,
  browser: browserTools,
  web: webTools,
  vision: visionTools,
  sheets: sheetTools,
  ports: portTools,
  deploy: deployTools,
  agent: agentTools,
} satisfies Record<string, ToolDefinition[]>;

export type ToolFamily = keyof typeof TOOL_FAMILIES;

const DEFAULT_FAMILIES = Object.keys(TOOL_FAMILIES) as ToolFamily[];

export function allTools(families: ToolFamily[] = DEFAULT_FAMILIES): ToolDefinition[] {
  return families.flatMap((f) => TOOL_FAMILIES[f] as ToolDefinition[]);
}
