// How the extension reaches suna-mcp: the server bundled in the extension (dist/server/cli.js) started
// over stdio for this workspace folder's sandbox, or the Streamable HTTP URL of `suna.serverUrl`. Also
// registers the bundled server with VS Code's own MCP support where that API exists.
import * as vscode from 'vscode';
import type { ServerLaunch } from '../node/server-connection.js';
import * as settings from './settings.js';

/** Environment for the server: ours, minus model API keys (they stay in the extension host). */
function serverEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/_API_KEY$/.test(k)) env[k] = v;
  // VS Code's own binary is Electron: this makes it behave as plain Node for the server.
  env.ELECTRON_RUN_AS_NODE = '1';
  return env;
}

export function bundledServer(context: vscode.ExtensionContext): { command: string; cli: string } {
  return { command: settings.server().nodePath ?? process.execPath, cli: context.asAbsolutePath('dist/server/cli.js') };
}

export function launcher(context: vscode.ExtensionContext, secrets: settings.Secrets, sandboxName: string): () => Promise<ServerLaunch> {
  return async () => {
    const s = settings.server();
    if (s.url) return { kind: 'http', url: s.url, token: await secrets.serverToken() };
    const { command, cli } = bundledServer(context);
    return { kind: 'stdio', command, args: [cli, '--sandbox-name', sandboxName, '--sync-tools', ...s.args], env: serverEnv() };
  };
}

interface McpLm {
  registerMcpServerDefinitionProvider?(id: string, provider: { provideMcpServerDefinitions(): unknown[] }): vscode.Disposable;
}
type StdioDefinitionCtor = new (label: string, command: string, args: string[], env?: Record<string, string | number | null>, version?: string) => unknown;

/**
 * Lets Copilot and other VS Code MCP clients use the same sandbox. Only where the API exists (VS Code
 * 1.101+); without --sync-tools, and with --on-exit keep so it never stops the panel's sandbox.
 */
export function registerWithVsCodeMcp(context: vscode.ExtensionContext, sandboxName: string): void {
  const lm = (vscode as unknown as { lm?: McpLm }).lm;
  const Definition = (vscode as unknown as { McpStdioServerDefinition?: StdioDefinitionCtor }).McpStdioServerDefinition;
  if (!lm?.registerMcpServerDefinitionProvider || !Definition) return;
  const { command, cli } = bundledServer(context);
  context.subscriptions.push(
    lm.registerMcpServerDefinitionProvider('suna.mcp', {
      provideMcpServerDefinitions: () => [new Definition('Suna sandbox', command, [cli, '--sandbox-name', sandboxName, '--on-exit', 'keep'], { ELECTRON_RUN_AS_NODE: '1' }, '0.1.0')],
    }),
  );
}
