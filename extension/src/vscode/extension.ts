// Activation: one server connection for the workspace folder's sandbox, the workspace sync, the chat
// panel, commands and the status bar, wired together. Each piece lives in its own module.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { redactSecrets } from '@suna/shared';
import { priceOf } from '@suna/shared/agent/pricing';
import { MAX_PREVIEW_FILE_CHARS, workspaceRelativePath } from '../common/approval-preview.js';
import { isReadOnly } from '../common/approvals.js';
import { explainSandboxProblem } from '../common/problems.js';
import type { HostState } from '../common/protocol.js';
import { HistoryStore } from '../node/history-store.js';
import { McpToolHost } from '../node/mcp-tool-host.js';
import { takeCheckpoint } from '../node/restore-flow.js';
import { McpSandboxSync } from '../node/sandbox-sync-api.js';
import { resultText, sandboxNameFor, ServerConnection } from '../node/server-connection.js';
import { CHAT_VIEW_ID, ChatViewProvider } from './chat-view.js';
import { setupExternalServers } from './mcp-servers.js';
import { launcher, registerWithVsCodeMcp } from './server-launch.js';
import * as settings from './settings.js';
import { StatusBar } from './status-bar.js';
import { SyncController } from './sync-glue.js';

let teardown: (() => Promise<void>) | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const out = vscode.window.createOutputChannel('Suna', { log: true });
  const log = (line: string) => out.info(redactSecrets(line));
  const folder = vscode.workspace.workspaceFolders?.[0];
  const sandboxName = folder ? sandboxNameFor(folder.name, folder.uri.fsPath, (s) => createHash('sha256').update(s).digest('hex')) : 'vscode-default';
  const storage = (context.storageUri ?? context.globalStorageUri).fsPath;
  const secrets = new settings.Secrets(context.secrets);
  const connection = new ServerConnection(launcher(context, secrets, sandboxName), log);
  const sync = folder ? new SyncController(folder, join(storage, 'sync', sandboxName), new McpSandboxSync(connection), log) : null;
  const tools = new McpToolHost(connection, (name, hints, args) => {
    if (!isReadOnly(hints)) sync?.afterTool(name, args);
  });
  const store = new HistoryStore(storage);
  const external = setupExternalServers(context, log);
  let problem: string | undefined;
  let recheck: NodeJS.Timeout | undefined;

  const state = async (): Promise<HostState> => ({
    server: { ...connection.state, mode: connection.mode, sandbox: connection.mode === 'stdio' ? sandboxName : undefined },
    ...(problem ? { problem } : {}),
    sync: sync?.state ?? { state: 'off', files: 0, bytes: 0, skipped: [], skippedCount: 0, conflicts: [], pending: [], message: 'open a folder to sync it' },
    model: settings.model(),
    models: await secrets.models(),
    approvals: settings.approvalMode(),
  });

  const runCommand = async (command: string) => {
    const map: Record<string, string> = { setApiKey: 'suna.setApiKey', restartServer: 'suna.restartServer', pullNow: 'suna.pullChanges', showLog: 'suna.showLog', openSettings: 'suna.openSettings' };
    if (map[command]) await vscode.commands.executeCommand(map[command]);
  };

  const status = new StatusBar(sandboxName);
  const view = new ChatViewProvider(context.extensionUri, {
    state,
    store,
    log,
    runCommand,
    sessionDeps: () => ({
      tools,
      externalTools: (signal, notice) => external.forRun(signal, notice),
      provider: (m) => secrets.provider(m),
      model: settings.model,
      approvalMode: settings.approvalMode,
      store,
      maxSteps: settings.maxSteps(),
      priceOf: (m) => priceOf(m, settings.modelPriceOverrides()),
      beforeRun: () => sync?.runStarted(),
      // After the sync settled, so the checkpoint holds the user's last saves.
      checkpoint: async (label) => {
        await sync?.settle();
        return takeCheckpoint(connection, label);
      },
      afterRun: () => sync?.runEnded(),
      readWorkspaceText: (p) => readWorkspaceText(folder, p),
      workspaceRoot: folder?.uri.scheme === 'file' ? folder.uri.fsPath : undefined,
      alwaysAllowed: (name) => settings.alwaysAllowedTools().has(name),
      allowAlways: (name) => settings.allowToolAlways(name),
    }),
    onPendingApprovals: (count, visible) => status.setPendingApprovals(visible ? 0 : count),
    storageUri: context.storageUri ?? context.globalStorageUri,
    openSyncPath: async (p) => sync?.openDiff(p),
    resolveSyncPath: async (p, choice) => sync?.resolve(p, choice),
    checkpoints: { server: connection, follow: () => sync ?? undefined, workspaceRoot: folder?.uri },
  });
  const refresh = async () => {
    const s = await state();
    status.update(s);
    await view.refresh();
  };

  /** After each (re)connect: is the sandbox up? Then sync. Explains and retries while Docker is missing. */
  const onReady = async () => {
    clearTimeout(recheck);
    const r = await connection.callTool('sandbox_status', {}, { timeoutMs: 600_000 }).catch((e: Error) => ({ isError: true, content: [{ type: 'text' as const, text: e.message }] }));
    problem = r.isError ? explainSandboxProblem(resultText(r)) : undefined;
    await refresh();
    if (problem) {
      log(problem);
      recheck = setTimeout(() => void onReady(), 20_000);
      return;
    }
    await sync?.start().catch(async (err: Error) => {
      problem = /Docker/.test(err.message) ? explainSandboxProblem(err.message) : undefined;
      log(`sync could not start: ${err.message}`);
      await refresh();
    });
  };

  connection.on('state', () => void refresh());
  connection.on('ready', () => void onReady());
  sync?.onState.event(() => void refresh());
  secrets.onDidChange(() => void refresh());

  const command = (id: string, fn: (...args: unknown[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  command('suna.setApiKey', async () => {
    if (await secrets.promptApiKey()) await refresh();
  });
  command('suna.setServerToken', async () => {
    await secrets.promptServerToken();
    if (settings.server().url) await connection.restart().catch(() => {});
  });
  command('suna.newChat', () => view.newChat());
  command('suna.stop', () => view.stop());
  command('suna.restartServer', () => connection.restart().catch((e: Error) => vscode.window.showErrorMessage(`Suna: ${e.message}`)));
  command('suna.pullChanges', () => sync?.pullNow().catch((e: Error) => vscode.window.showErrorMessage(`Suna sync: ${e.message}`)));
  command('suna.showLog', () => out.show());
  command('suna.openSettings', () => vscode.commands.executeCommand('workbench.action.openSettings', '@ext:suna.suna-vscode'));
  command('suna.openConflict', async (arg) => {
    const p = await sync?.pathFor(arg);
    if (p) await sync?.openDiff(p);
  });
  command('suna.keepMine', async (arg) => {
    const p = await sync?.pathFor(arg);
    if (p) await sync?.resolve(p, 'mine');
  });
  command('suna.takeTheirs', async (arg) => {
    const p = await sync?.pathFor(arg);
    if (p) await sync?.resolve(p, 'theirs');
  });

  context.subscriptions.push(
    out,
    status,
    view,
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, view, { webviewOptions: { retainContextWhenHidden: true } }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('suna.serverUrl') || e.affectsConfiguration('suna.server')) void connection.restart().catch(() => {});
      else if (e.affectsConfiguration('suna')) void refresh();
    }),
  );
  if (sync) context.subscriptions.push(sync);
  registerWithVsCodeMcp(context, sandboxName);

  teardown = async () => {
    clearTimeout(recheck);
    await sync?.settle().catch(() => {});
    await Promise.all([connection.dispose(), external.dispose().catch(() => {})]);
  };
  await refresh();
  void connection.ready().catch(() => {});
  // The conversation of the last session comes back after a reload.
  void store
    .list()
    .then((list) => (list[0] ? store.load(list[0].id) : undefined))
    .then((c) => c && view.restore(c))
    .catch(() => {});
}

/** The workspace copy of a file a tool would change (the approval's diff base); undefined when absent or large. */
async function readWorkspaceText(folder: vscode.WorkspaceFolder | undefined, path: string): Promise<string | undefined> {
  const rel = workspaceRelativePath(path);
  if (!folder || !rel) return undefined;
  const uri = vscode.Uri.joinPath(folder.uri, ...rel.split('/'));
  const stat = await vscode.workspace.fs.stat(uri).then(undefined, () => undefined);
  if (!stat || stat.type !== vscode.FileType.File || stat.size > MAX_PREVIEW_FILE_CHARS) return undefined;
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}

export async function deactivate(): Promise<void> {
  await teardown?.();
}
