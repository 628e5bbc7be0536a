// The chat panel: a webview view in its own activity-bar container. The HTML has a strict CSP with a
// nonce; everything else goes through the typed protocol (common/protocol.ts), one handler per message.
import { createHash, randomBytes } from 'node:crypto';
import { safeWriteFile } from '@suna/shared/boundary/safe-write';
import * as vscode from 'vscode';
import { MAX_IMAGE_BASE64_CHARS, parseAttachments } from '../common/attachments.js';
import { classifyLink } from '../common/links.js';
import { ProtocolServer, type Handlers, type HostState } from '../common/protocol.js';
import { ChatSession, newConversation, type ChatSessionDeps } from '../node/chat-session.js';
import type { HistoryStore, StoredConversation } from '../node/history-store.js';
import { CheckpointActions, type CheckpointHost } from './checkpoint-view.js';
import { editorSelection, pickWorkspaceEntry, problemsList } from './context-pick.js';

export const CHAT_VIEW_ID = 'suna.chat';

export interface ChatViewHost {
  state(): Promise<HostState>;
  sessionDeps(): ChatSessionDeps;
  store: HistoryStore;
  runCommand(command: string): Promise<void>;
  openSyncPath(path: string): Promise<void>;
  resolveSyncPath(path: string, choice: 'mine' | 'theirs'): Promise<void>;
  log(line: string): void;
  /** The extension's own storage folder (opened screenshots are written there). */
  storageUri: vscode.Uri;
  /** Sandbox checkpoints: Restore to here, Changes in this run. */
  checkpoints: CheckpointHost;
  /** Calls waiting for approval changed; `panelVisible` says whether the user can see them (status-bar hint). */
  onPendingApprovals?(count: number, panelVisible: boolean): void;
}

/** The texts of an approval's file change, for VS Code's diff editor (read-only documents). */
const PREVIEW_SCHEME = 'suna-approval';

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private protocol: ProtocolServer | undefined;
  private pendingApprovals = 0;
  private readonly previews = new Map<string, string>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly checkpointHandlers: ReturnType<CheckpointActions['handlers']>;
  session: ChatSession;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly host: ChatViewHost,
  ) {
    this.session = new ChatSession(this.deps());
    const checkpoints = new CheckpointActions(host.checkpoints, () => this.session);
    this.checkpointHandlers = checkpoints.handlers();
    this.disposables.push(checkpoints);
    this.disposables.push(vscode.workspace.registerTextDocumentContentProvider(PREVIEW_SCHEME, { provideTextDocumentContent: (uri) => this.previews.get(uri.toString()) ?? '' }));
  }

  private deps(): ChatSessionDeps {
    return {
      ...this.host.sessionDeps(),
      onPendingApprovals: (n) => this.showPendingApprovals(n),
      onBackgroundEvent: (id, e) => {
        if (this.session?.conversation.id === id) this.protocol?.event('chat', e);
      },
    };
  }

  /** A badge on the view and, while the panel is hidden, a status-bar hint and one notification. */
  private showPendingApprovals(count: number): void {
    const grew = count > this.pendingApprovals;
    this.pendingApprovals = count;
    const visible = this.view?.visible ?? false;
    if (this.view) this.view.badge = count ? { value: count, tooltip: `${count} tool call${count === 1 ? '' : 's'} waiting for your approval` } : undefined;
    this.host.onPendingApprovals?.(count, visible);
    if (grew && !visible)
      void vscode.window.showInformationMessage('Suna: a tool call is waiting for your approval.', 'Show').then((c) => c && vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`));
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    view.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [dist] };
    view.webview.html = this.html(view.webview, dist);
    this.protocol?.dispose();
    const protocol = new ProtocolServer((m) => void view.webview.postMessage(m), this.handlers(), (type, err) =>
      this.host.log(`webview request ${type} failed: ${err instanceof Error ? err.message : String(err)}`),
    );
    this.protocol = protocol;
    view.webview.onDidReceiveMessage((m) => void protocol.receive(m));
    view.onDidChangeVisibility(() => this.showPendingApprovals(this.pendingApprovals));
    if (this.pendingApprovals) this.showPendingApprovals(this.pendingApprovals);
    view.onDidDispose(() => {
      protocol.dispose();
      if (this.protocol === protocol) this.protocol = undefined;
      this.view = undefined;
    });
  }

  /** Pushes the host state (server, sync, model, approvals) to the panel. */
  async refresh(): Promise<void> {
    if (this.protocol) this.protocol.event('state', await this.host.state());
  }

  /** Shows a saved conversation (the last one, after a reload) unless the user already started another. */
  restore(stored: StoredConversation): void {
    if (this.session.running || this.session.conversation.items.length) return;
    this.session = new ChatSession(this.deps(), stored);
    this.protocol?.event('conversation', this.session.view());
  }

  async newChat(): Promise<void> {
    this.session.close();
    this.session = new ChatSession(this.deps(), newConversation(this.host.sessionDeps().model()));
    this.protocol?.event('conversation', this.session.view());
  }

  stop(): boolean {
    return this.session.stop();
  }

  private handlers(): Handlers {
    return {
      ...this.checkpointHandlers,
      'ui/ready': async () => ({ state: await this.host.state(), conversation: this.session.view() }),
      'chat/send': async ({ text, rewindTo, attachments }, ctx) => {
        if (typeof text !== 'string' || !text.trim()) throw new Error('empty message');
        const context = parseAttachments(attachments);
        // The run goes on if the panel goes away; a new panel follows it with chat/attach.
        return this.session.send(text, (e) => ctx.emit(e), Number.isSafeInteger(rewindTo) ? rewindTo : undefined, context);
      },
      'chat/attach': async (_p, ctx) => (await this.session.attach((e) => ctx.emit(e))) ?? null,
      'chat/stop': () => ({ stopped: this.session.stop() }),
      'chat/new': async () => {
        await this.newChat();
        return this.session.view();
      },
      'history/list': () => this.host.store.list(),
      'history/open': async ({ id }) => {
        const stored = await this.host.store.load(String(id));
        if (!stored) throw new Error('that conversation is gone');
        this.session.close();
        this.session = new ChatSession(this.deps(), stored);
        return this.session.view();
      },
      'history/delete': async ({ id }) => {
        if (id === this.session.conversation.id) await this.newChat();
        return this.host.store.delete(String(id));
      },
      'tool/decide': async ({ callId, approve, always }) => ({ ok: await this.session.decide(String(callId), approve === true, always === true) }),
      'process/stop': async ({ callId }, ctx) => ({ ok: await this.session.stopProcess(String(callId), ctx.signal) }),
      'tool/openDiff': async ({ callId }) => {
        const change = this.session.changeOf(String(callId));
        if (!change) return { ok: false };
        const uri = (side: string) => vscode.Uri.from({ scheme: PREVIEW_SCHEME, path: `/${side}/${change.path}`, query: String(callId) });
        const [before, after] = [uri('current'), uri('proposed')];
        this.previews.set(before.toString(), change.before);
        this.previews.set(after.toString(), change.after);
        while (this.previews.size > 40) this.previews.delete(this.previews.keys().next().value!);
        await vscode.commands.executeCommand('vscode.diff', before, after, `${change.path} (proposed by the agent)`, { preview: true });
        return { ok: true };
      },
      'model/select': async ({ model }) => {
        await vscode.workspace.getConfiguration('suna').update('model', String(model), vscode.ConfigurationTarget.Global);
        return this.host.state();
      },
      'command/run': async ({ command }) => {
        await this.host.runCommand(String(command));
        return { ok: true };
      },
      'sync/open': async ({ path }) => {
        await this.host.openSyncPath(String(path));
        return { ok: true };
      },
      'sync/resolve': async ({ path, choice }) => {
        await this.host.resolveSyncPath(String(path), choice === 'theirs' ? 'theirs' : 'mine');
        return { ok: true };
      },
      'link/open': ({ href }) => openLink(href),
      'context/pick': () => pickWorkspaceEntry(),
      'image/open': ({ mimeType, data }) => this.openImage(mimeType, data),
      'context/selection': () => editorSelection(),
      'context/problems': () => problemsList(),
      'clipboard/copy': async ({ text }) => {
        await vscode.env.clipboard.writeText(String(text).slice(0, 1_000_000));
        return { ok: true };
      },
    };
  }

  private html(webview: vscode.Webview, dist: vscode.Uri): string {
    const nonce = randomBytes(16).toString('base64');
    const uri = (...p: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(dist, ...p)).toString();
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `font-src ${webview.cspSource}`,
      `img-src ${webview.cspSource} data:`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${uri('codicons', 'codicon.css')}">
<link rel="stylesheet" href="${uri('webview.css')}">
<title>Suna</title>
</head>
<body>
<div id="app"></div>
<script nonce="${nonce}" src="${uri('webview.js')}"></script>
</body>
</html>`;
  }

  /** A tool image (sandbox content: checked, written only by the safe writer into the extension's own storage) in an editor. */
  private async openImage(mimeType: unknown, data: unknown): Promise<{ ok: boolean }> {
    const ext = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/webp': 'webp' }[String(mimeType)];
    if (!ext || typeof data !== 'string' || data.length > MAX_IMAGE_BASE64_CHARS || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) return { ok: false };
    const bytes = Buffer.from(data, 'base64');
    const dir = vscode.Uri.joinPath(this.host.storageUri, 'images');
    await vscode.workspace.fs.createDirectory(dir);
    const name = `${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.${ext}`;
    await safeWriteFile(dir.fsPath, name, bytes, { maxBytes: MAX_IMAGE_BASE64_CHARS });
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.joinPath(dir, name), { preview: true });
    return { ok: true };
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.session.close();
    this.protocol?.dispose();
  }
}

/** A link from the model's answer: the target is checked here, and a web address opens only when the user says so. */
async function openLink(href: unknown): Promise<{ ok: boolean }> {
  const target = classifyLink(href);
  if (!target) return { ok: false };
  if (target.kind === 'external') {
    const choice = await vscode.window.showInformationMessage('Open a link from the chat?', { modal: true, detail: target.url }, 'Open', 'Copy');
    if (choice === 'Copy') await vscode.env.clipboard.writeText(target.url);
    return { ok: choice === 'Open' ? await vscode.env.openExternal(vscode.Uri.parse(target.url, true)) : false };
  }
  const root = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (!root) return { ok: false };
  const uri = vscode.Uri.joinPath(root, ...target.path.split('/'));
  try {
    await vscode.workspace.fs.stat(uri);
  } catch {
    void vscode.window.showWarningMessage(`${target.path} is not in the workspace.`);
    return { ok: false };
  }
  const line = Math.max(0, (target.line ?? 1) - 1);
  await vscode.window.showTextDocument(uri, { preview: true, selection: new vscode.Range(line, 0, line, 0) });
  return { ok: true };
}
