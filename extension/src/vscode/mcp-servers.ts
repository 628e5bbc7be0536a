// External MCP servers in VS Code: the `suna.mcpServers` setting, their secrets in SecretStorage, approvals
// pinned in globalState, and the two commands (Set MCP Server Secret, Manage MCP Servers). The logic is in
// node/external-hub.ts and node/external-servers.ts.
import * as vscode from 'vscode';
import { clip } from '@suna/shared';
import type { McpHubNotice, PinStore } from '@suna/shared/mcp-hub/index';
import { ExternalHub, type ServerView } from '../node/external-hub.js';
import { MCP_SECRET_PREFIX, SECRET_NAME_PATTERN, secretStorageKey } from '../node/external-servers.js';

const PIN_PREFIX = 'suna.mcp.pins.';

export function setupExternalServers(context: vscode.ExtensionContext, log: (line: string) => void): ExternalHub {
  // Approved tool definitions outlive the window, so a server's tools are shown once, when first enabled,
  // and a changed definition is held until confirmed, across restarts too.
  const pins: PinStore = {
    load: async (key) => context.globalState.get<Record<string, string>>(PIN_PREFIX + key),
    save: async (key, value) => void (await context.globalState.update(PIN_PREFIX + key, value)),
  };
  const hub = new ExternalHub({
    read: () => vscode.workspace.getConfiguration('suna').get('mcpServers'),
    getSecret: async (name) => context.secrets.get(secretStorageKey(name)),
    pins,
    log,
    onNotice: (n) => void announce(n),
    clientInfo: { name: 'suna-vscode', version: String(context.extension.packageJSON.version ?? '0.0.0') },
  });

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('suna.mcpServers')) hub.reset();
    }),
    context.secrets.onDidChange((e) => {
      if (e.key.startsWith(MCP_SECRET_PREFIX)) hub.reset();
    }),
    vscode.commands.registerCommand('suna.setMcpSecret', () => setSecret(context.secrets)),
    vscode.commands.registerCommand('suna.manageMcpServers', () => manage(hub)),
    { dispose: () => void hub.dispose() },
  );
  return hub;
}

/** A server's tools, approved now (first enabled, or confirmed): the user sees what the model will read. */
async function announce(n: McpHubNotice): Promise<void> {
  if (n.kind === 'tools_approved' && n.tools) {
    const pick = await vscode.window.showInformationMessage(`Suna: MCP server "${n.server}": ${n.tools.length} tools approved for the agent.`, 'Show tools');
    if (pick) await showTools(`Tools of MCP server "${n.server}"`, n.tools);
  } else if (n.kind === 'tools_held') {
    const pick = await vscode.window.showWarningMessage(`Suna: MCP server "${n.server}" changed its tools; they are held until you confirm them.`, 'Manage MCP Servers');
    if (pick) await vscode.commands.executeCommand('suna.manageMcpServers');
  }
}

function showTools(title: string, tools: Array<{ name: string; description: string }>): Thenable<unknown> {
  return vscode.window.showQuickPick(
    tools.map((t) => ({ label: t.name, detail: t.description || '(no description)' })),
    { title, placeHolder: 'Descriptions as the server gives them to the model', matchOnDetail: true, canPickMany: false },
  );
}

async function setSecret(storage: vscode.SecretStorage): Promise<void> {
  const name = await vscode.window.showInputBox({
    title: 'Suna: MCP server secret name',
    prompt: 'Used as ${secret:NAME} in suna.mcpServers env or headers values',
    ignoreFocusOut: true,
    validateInput: (v) => (SECRET_NAME_PATTERN.test(v.trim()) ? undefined : 'Letters, digits, "_", "." and "-", starting with a letter or "_"'),
  });
  if (!name?.trim()) return;
  const value = await vscode.window.showInputBox({
    title: `Suna: value of ${name.trim()}`,
    prompt: 'Kept in VS Code secret storage, never in settings. Leave empty to remove it.',
    password: true,
    ignoreFocusOut: true,
  });
  if (value === undefined) return;
  const key = secretStorageKey(name.trim());
  if (value) await storage.store(key, value);
  else await storage.delete(key);
  void vscode.window.showInformationMessage(value ? `Suna: secret ${name.trim()} saved.` : `Suna: secret ${name.trim()} removed.`);
}

const ICON: Record<string, string> = { ready: '$(pass)', connecting: '$(sync~spin)', failed: '$(error)', closed: '$(debug-disconnect)', disabled: '$(circle-slash)' };

async function manage(hub: ExternalHub): Promise<void> {
  let servers: ServerView[];
  try {
    servers = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Suna: starting MCP servers…' }, () => hub.status());
  } catch (err) {
    void vscode.window.showErrorMessage(`Suna: ${(err as Error).message}`);
    return;
  }
  if (!servers.length) {
    const pick = await vscode.window.showInformationMessage('Suna: no MCP servers are configured (setting suna.mcpServers).', 'Open Settings');
    if (pick) await vscode.commands.executeCommand('workbench.action.openSettings', 'suna.mcpServers');
    return;
  }
  const server = await vscode.window.showQuickPick(
    servers.map((s) => ({
      label: `${ICON[s.state] ?? ''} ${s.name}`,
      description: `${s.state}${s.pending.length ? ` · ${s.pending.length} tool changes held` : ''}`,
      detail: s.error ?? (s.tools.length ? s.tools.map((t) => t.name).join(', ') : undefined),
      s,
    })),
    { title: 'Suna: MCP servers', placeHolder: 'Pick a server to see its tools or confirm changed tools' },
  );
  if (server) await manageOne(hub, server.s);
}

async function manageOne(hub: ExternalHub, s: ServerView): Promise<void> {
  const actions: Array<{ label: string; id: 'confirm' | 'tools' | 'settings' }> = [];
  if (s.pending.length) actions.push({ label: `$(check) Confirm changes (${s.pending.map((p) => `${p.name}: ${p.change}`).join(', ')})`, id: 'confirm' });
  if (s.tools.length || s.pending.length) actions.push({ label: '$(list-unordered) Show tools', id: 'tools' });
  actions.push({ label: '$(gear) Edit suna.mcpServers', id: 'settings' });
  const pick = await vscode.window.showQuickPick(actions, { title: `MCP server "${s.name}": ${s.state}`, placeHolder: s.error });
  if (pick?.id === 'settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'suna.mcpServers');
  if (pick?.id === 'tools') {
    const held = new Set(s.pending.map((p) => p.name));
    await showTools(`Tools of MCP server "${s.name}"`, [
      ...s.pending.map((p) => ({ name: `${p.name} (${p.change}, held)`, description: p.description })),
      ...s.tools.filter((t) => !held.has(t.name)).map((t) => ({ name: t.name, description: t.description })),
    ]);
  }
  if (pick?.id === 'confirm') {
    // The descriptions are what the server tells the model: the user reads them before they are approved.
    const detail = s.pending.map((p) => `${p.name} (${p.change}):\n${clip(p.description || '(no description)', 1500)}`).join('\n\n');
    const ok = await vscode.window.showWarningMessage(`Approve ${s.pending.length} new or changed tools of MCP server "${s.name}"?`, { modal: true, detail }, 'Confirm changes');
    if (ok !== 'Confirm changes') return;
    const approved = await hub.confirmToolChanges(s.name);
    void vscode.window.showInformationMessage(approved.length ? `Suna: approved ${approved.map((p) => p.name).join(', ')}.` : 'Suna: nothing was left to confirm.');
  }
}
