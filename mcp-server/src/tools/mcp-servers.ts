// mcp_servers: the external MCP servers agent_run uses next to the sandbox tools (--mcp-config), and the one
// place where a human approves a server's changed tools.
//
// Approval: a server whose tool list changes after its tools were approved (a new tool, or a new description
// or schema — the way a compromised server would slip new orders to the model) has those tools held until
// `confirm`. `confirm` is a human decision, so this tool is not read-only (kind 'write': readOnlyHint false)
// even though `list` changes nothing: clients with a human in the loop (Claude Desktop, the VS Code
// extension) then ask before running it, and should show the pending changes that `list` returns. The
// server's own agent_run never gets this tool.
import { z } from 'zod';
import { clip } from '@suna/shared';
import type { McpServerStatus } from '@suna/shared/mcp-hub/index';
import { defineTool, ToolError } from '../tool.js';

/** A server's status, or its configuration before the first agent_run started it. */
type ServerRow = Omit<McpServerStatus, 'state'> & { state: McpServerStatus['state'] | 'not started' };

function describeServer(s: ServerRow): string[] {
  const lines = [`- ${s.name} (${s.type}): ${s.state}${s.error ? ` — ${s.error}` : ''}`];
  if (s.state === 'disabled') return lines;
  if (s.tools.length) lines.push(`  tools: ${s.tools.map((t) => t.name).join(', ')}`);
  if (s.hidden.length) lines.push(`  hidden by allowedTools: ${s.hidden.join(', ')}`);
  if (s.pending.length) {
    lines.push('  changed since approval, held until a human confirms:');
    for (const p of s.pending) lines.push(`    ${p.name} (${p.change}): ${clip(p.description.replace(/\s+/g, ' '), 1000)}`);
    lines.push(`  after review: mcp_servers {"action":"confirm","server":"${s.name}"}`);
  }
  return lines;
}

export const mcpServersTool = defineTool({
  name: 'mcp_servers',
  sandboxFree: true,
  title: 'External MCP servers',
  kind: 'write',
  description:
    'The external MCP servers whose tools agent_run offers next to the sandbox tools, named <server>__<tool> (configured with --mcp-config). ' +
    '"list": each server\'s state (ready, failed, closed, disabled), its approved tools, and tool changes waiting for approval with their new descriptions. ' +
    '"confirm" (with server): approve that server\'s changed tools. Only confirm after a human has read the changes and agreed.',
  input: z.object({
    action: z.enum(['list', 'confirm']),
    server: z.string().min(1).max(64).optional().describe('The server whose tool changes to approve (confirm only)'),
  }),
  async handle({ action, server }, ctx) {
    const ext = ctx.runtime.runs.externalServers();
    if (!ext.configFile) {
      ctx.reply.text('No external MCP servers are configured. Start suna-mcp with --mcp-config FILE (or SUNA_MCP_CONFIG) naming an {"mcpServers": {…}} file.');
      ctx.reply.structuredContent({ servers: [] });
      return;
    }
    const status: ServerRow[] = ext.hub
      ? ext.hub.status()
      : Object.entries(ext.config.servers).map(([name, c]) => ({ name, type: c.type, state: c.disabled ? 'disabled' : 'not started', tools: [], hidden: [], pending: [] }));

    if (action === 'list') {
      const head = `External MCP servers from ${ext.configFile}${ext.hub ? '' : ' (not started yet: they start with the first agent_run)'}:`;
      ctx.reply.text([head, ...status.flatMap(describeServer)].join('\n'));
      ctx.reply.structuredContent({
        started: !!ext.hub,
        servers: status.map((s) => ({ name: s.name, type: s.type, state: s.state, ...(s.error ? { error: s.error } : {}), tools: s.tools.map((t) => t.name), hidden: s.hidden, pending: s.pending })),
      });
      return;
    }

    const waiting = status.filter((s) => s.pending.length).map((s) => s.name);
    if (!server) throw new ToolError(`confirm needs "server"; servers with tool changes waiting: ${waiting.join(', ') || 'none'}`);
    if (!status.some((s) => s.name === server)) throw new ToolError(`no MCP server "${server}"; configured: ${status.map((s) => s.name).join(', ')}`);
    if (!ext.hub) throw new ToolError('the external servers have not started yet (they start with the first agent_run); nothing to confirm');
    const approved = await ext.hub.confirmToolChanges(server);
    if (!approved.length) {
      ctx.reply.text(`MCP server "${server}" has no tool changes waiting for confirmation.`);
    } else {
      ctx.reply.text([`Approved ${approved.length} tool change(s) of MCP server "${server}"; agent runs may use them from now on:`, ...approved.map((p) => `- ${p.name} (${p.change}): ${clip(p.description.replace(/\s+/g, ' '), 1000)}`)].join('\n'));
    }
    ctx.reply.structuredContent({ server, approved: approved.map((p) => p.name) });
  },
});

export const mcpServerTools = [mcpServersTool];
