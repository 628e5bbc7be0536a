// Several tool hosts seen as one (the sandbox tools next to external MCP servers): a tool name belongs to
// exactly one host, and two hosts offering the same name is an error rather than one silently winning.
import type { ToolHost, ToolResult, ToolSpec } from '../agent/types.js';

/** A host that can also claim names it does not list (e.g. a held or unavailable external tool). */
export interface RoutingToolHost extends ToolHost {
  handles?(name: string): boolean;
}

export class ToolNameCollisionError extends Error {
  override readonly name = 'ToolNameCollisionError';
}

export function combineToolHosts(...hosts: RoutingToolHost[]): RoutingToolHost {
  let owner: Map<string, RoutingToolHost> | undefined;
  const listTools = async (): Promise<ToolSpec[]> => {
    const lists = await Promise.all(hosts.map((h) => h.listTools()));
    const next = new Map<string, RoutingToolHost>();
    const specs: ToolSpec[] = [];
    lists.forEach((list, i) => {
      for (const spec of list) {
        if (next.has(spec.name))
          throw new ToolNameCollisionError(`two tool sources offer a tool named "${spec.name}"; external tools must be named <server>__<tool>`);
        next.set(spec.name, hosts[i]!);
        specs.push(spec);
      }
    });
    owner = next;
    return specs;
  };
  return {
    listTools,
    async callTool(name, args, signal): Promise<ToolResult> {
      if (!owner) await listTools();
      const host = owner!.get(name) ?? hosts.find((h) => h.handles?.(name));
      if (!host) return { text: `There is no tool named "${name}".`, isError: true };
      return host.callTool(name, args, signal);
    },
    handles: (name) => owner?.has(name) === true || hosts.some((h) => h.handles?.(name)),
  };
}
