// The agent loop's view of the server's tools (shared ToolHost), over the MCP client. The sync tools and
// the server's own agent tools are not the model's business and are left out.
import type { JsonSchemaObject, ToolHost, ToolResult, ToolSpec } from '@suna/shared/agent/index';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { liveOutputOf } from '@suna/shared/live-output';
import { isReadOnly, type ToolHints } from '../common/approvals.js';
import type { ServerConnection } from './server-connection.js';

const HIDDEN = /^(workspace_sync_|agent_)/;

/** What the panel wants to see of one call while it runs. */
export interface CallObserver {
  onOutput?(text: string): void;
}

export class McpToolHost implements ToolHost {
  private hints = new Map<string, ToolHints>();

  constructor(
    private readonly connection: ServerConnection,
    /** Told after every call, with the tool's hints and arguments (the sync pulls after calls that may write). */
    private readonly afterCall: (name: string, hints: ToolHints | undefined, args: Record<string, unknown>) => void = () => {},
  ) {}

  hintsOf(name: string): ToolHints | undefined {
    return this.hints.get(name);
  }

  async listTools(): Promise<ToolSpec[]> {
    const tools = (await this.connection.listTools()).filter((t) => !HIDDEN.test(t.name));
    this.hints = new Map(tools.map((t) => [t.name, (t.annotations ?? {}) as ToolHints]));
    return tools.map(toSpec);
  }

  /** `observe.onOutput` receives a running command's output as the server streams it (progress notifications). */
  async callTool(name: string, args: Record<string, unknown>, signal: AbortSignal, observe?: CallObserver): Promise<ToolResult> {
    if (HIDDEN.test(name)) return { text: `There is no tool named "${name}".`, isError: true };
    const onOutput = observe?.onOutput;
    try {
      const r = await this.connection.callTool(name, args, {
        signal,
        ...(onOutput
          ? {
              onProgress: (m: string | undefined) => {
                const text = liveOutputOf(m);
                if (text) onOutput(text);
              },
            }
          : {}),
      });
      const text = r.content
        .filter((c) => c.type === 'text')
        .map((c) => (c as { text: string }).text)
        .join('\n');
      const images = r.content.filter((c) => c.type === 'image').map((c) => ({ data: (c as { data: string }).data, mimeType: (c as { mimeType: string }).mimeType }));
      return { text, ...(images.length ? { images } : {}), ...(r.isError ? { isError: true } : {}) };
    } finally {
      this.afterCall(name, this.hints.get(name), args);
    }
  }
}

function toSpec(t: Tool): ToolSpec {
  return {
    name: t.name,
    description: t.description ?? t.title ?? t.name,
    inputSchema: { ...(t.inputSchema as JsonSchemaObject), type: 'object' },
    readOnly: isReadOnly(t.annotations as ToolHints | undefined),
  };
}
