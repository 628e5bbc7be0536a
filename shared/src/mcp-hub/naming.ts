// Names and fingerprints of external tools: `<server>__<tool>` within the providers' name rules, and the
// hash a tool is pinned by when a human approves it.
import { createHash } from 'node:crypto';
import type { Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';

const MAX_TOOL_NAME = 64; // OpenAI's limit; Anthropic allows 128

/** Stable JSON (sorted keys), so a hash does not change when a server reorders a schema's keys. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value as object).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

export function toolHash(tool: Pick<McpTool, 'name' | 'description' | 'inputSchema' | 'annotations'>): string {
  return createHash('sha256').update(canonical([tool.name, tool.description ?? '', tool.inputSchema ?? {}, tool.annotations ?? {}])).digest('hex');
}

export function exposedName(server: string, tool: string): string {
  const name = `${server}__${tool.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
  if (name.length <= MAX_TOOL_NAME) return name;
  return `${name.slice(0, MAX_TOOL_NAME - 9)}_${createHash('sha256').update(tool).digest('hex').slice(0, 8)}`;
}

