// Workspace sync in VS Code: the engine (node/sync-engine.ts) with writes through WorkspaceEdit /
// workspace.fs, a file watcher feeding it, and conflicts shown in the diff editor with keep-mine /
// take-theirs (sandbox side served by a read-only content provider).
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { assertNoSymlinkOnPath } from '@suna/shared/boundary/safe-write';
import * as vscode from 'vscode';
import { isBinary } from '../common/merge.js';
import { changedPaths } from '../common/sync-paths.js';
import type { SyncStateView } from '../common/protocol.js';
import { BaseStore } from '../node/base-store.js';
import type { SandboxSyncApi } from '../node/sandbox-sync-api.js';
import { SyncEngine, type Incoming, type WorkspaceWriter } from '../node/sync-engine.js';
import { UserSaveLog } from '../node/user-saves.js';
import * as settings from './settings.js';

export const SANDBOX_SCHEME = 'suna-sandbox';

class VsCodeWorkspaceWriter implements WorkspaceWriter {
  constructor(private readonly root: vscode.Uri) {}

  private uri(path: string): vscode.Uri {
    return vscode.Uri.joinPath(this.root, ...path.split('/'));
  }

  private openDoc(uri: vscode.Uri): vscode.TextDocument | undefined {
    return vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  }

  /**
   * The bytes come out of the sandbox and VS Code's file API follows symlinks, so every component of the
   * target is lstat-checked first: a symlinked folder of the workspace (or a symlink at the name itself)
   * is never written through; the engine reports the path instead (UnsafeWriteError).
   */
  private async checkTarget(path: string, opts: { allowFinalSymlink?: boolean } = {}): Promise<void> {
    if (this.root.scheme === 'file') await assertNoSymlinkOnPath(this.root.fsPath, path, opts);
  }

  async write(path: string, data: Uint8Array, opts: { mode?: number }): Promise<void> {
    const uri = this.uri(path);
    await this.checkTarget(path);
    const doc = this.openDoc(uri);
    if (doc && !doc.isDirty && !isBinary(data)) {
      // An open editor: edit it (undo works, no "file changed on disk"), then save.
      const edit = new vscode.WorkspaceEdit();
      edit.replace(uri, new vscode.Range(0, 0, doc.lineCount, 0), new TextDecoder().decode(data));
      if ((await vscode.workspace.applyEdit(edit)) && (await doc.save())) return;
    }
    await vscode.workspace.fs.writeFile(uri, data);
    if (uri.scheme === 'file' && opts.mode !== undefined && opts.mode & 0o111) await fsp.chmod(uri.fsPath, 0o755).catch(() => {});
  }

  async remove(path: string): Promise<void> {
    await this.checkTarget(path, { allowFinalSymlink: true });
    const edit = new vscode.WorkspaceEdit();
    edit.deleteFile(this.uri(path), { ignoreIfNotExists: true });
    if (await vscode.workspace.applyEdit(edit)) return;
    await vscode.workspace.fs.delete(this.uri(path), { useTrash: false });
  }

  hasUnsavedChanges(path: string): boolean {
    return this.openDoc(this.uri(path))?.isDirty ?? false;
  }
}

/** Serves the sandbox version of a conflicted or pending file to the diff editor. */
class SandboxContent implements vscode.TextDocumentContentProvider {
  readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  constructor(private readonly engine: () => SyncEngine | null) {}
  provideTextDocumentContent(uri: vscode.Uri): string {
    const c = this.engine()?.theirs(uri.path.replace(/^\//, ''));
    if (!c) return '(no sandbox version: the conflict was resolved)';
    if (c.theirs === null) return '(the agent deleted this file in the sandbox)';
    return isBinary(c.theirs) ? `(binary file, ${c.theirs.length} bytes)` : new TextDecoder().decode(c.theirs);
  }
}

export class SyncController implements vscode.Disposable {
  engine: SyncEngine | null = null;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly content = new SandboxContent(() => this.engine);
  private pullTimer: NodeJS.Timeout | undefined;
  readonly onState = new vscode.EventEmitter<SyncStateView>();

  constructor(
    private readonly folder: vscode.WorkspaceFolder,
    private readonly storageDir: string,
    private readonly api: SandboxSyncApi,
    private readonly log: (line: string) => void,
  ) {
    this.disposables.push(vscode.workspace.registerTextDocumentContentProvider(SANDBOX_SCHEME, this.content), this.onState);
  }

  get state(): SyncStateView {
    return this.engine?.state ?? { state: 'off', files: 0, bytes: 0, skipped: [], skippedCount: 0, conflicts: [], pending: [] };
  }

  /** (Re)starts the sync: initial push and pull, then the watcher. */
  async start(): Promise<void> {
    if (!settings.syncEnabled() || this.folder.uri.scheme !== 'file') {
      this.log(this.folder.uri.scheme !== 'file' ? 'sync: only folders on disk are synced' : 'sync: off (suna.sync.enabled)');
      return;
    }
    if (!this.engine) {
      const base = new BaseStore(this.storageDir);
      await base.load();
      await base.collectGarbage().catch(() => {});
      this.engine = new SyncEngine({
        root: this.folder.uri.fsPath,
        api: this.api,
        writer: new VsCodeWorkspaceWriter(this.folder.uri),
        base,
        caps: settings.syncCaps(),
        excludes: settings.syncExcludes(),
        log: this.log,
        userSaves: await UserSaveLog.persisted(join(this.storageDir, 'user-saves.json')),
      });
      this.engine.on('state', (s) => {
        this.onState.fire(s);
        // Shows Keep Mine / Take Theirs in the diff editor's title bar while something waits for a decision.
        void vscode.commands.executeCommand('setContext', 'suna.hasIncoming', s.conflicts.length + s.pending.length > 0);
      });
      this.engine.on('incoming', (c) => void this.announce(c));
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(this.folder, '**/*'));
      const changed = (uri: vscode.Uri) => {
        const rel = vscode.workspace.asRelativePath(uri, false);
        if (rel && !rel.startsWith('..') && !rel.startsWith('/')) this.engine?.notifyChanged([rel.split('\\').join('/')]);
      };
      watcher.onDidChange(changed);
      watcher.onDidCreate(changed);
      watcher.onDidDelete(changed);
      this.disposables.push(watcher);
    }
    const t = performance.now();
    await this.engine.start();
    const s = this.engine.state;
    this.log(`sync: ${s.files} files in the sandbox (${Math.round(performance.now() - t)} ms)${s.skippedCount ? `; ${s.skippedCount} left out (${s.skipped.slice(0, 3).map((i) => `${i.path}: ${i.reason}`).join('; ')})` : ''}`);
  }

  /** Pulls soon (coalesced): after tool calls that may have written, and when a run ends. */
  schedulePull(delayMs = 100): void {
    if (!this.engine) return;
    clearTimeout(this.pullTimer);
    this.pullTimer = setTimeout(() => void this.engine?.pull().catch(() => {}), delayMs);
  }

  /** A chat run starts: the user's edits pushed from now on are guarded against the agent's later changes. */
  runStarted(): void {
    this.engine?.trackRun(true);
  }

  /** A chat run ended: pull what the agent changed (still guarded), then stop guarding. */
  runEnded(): void {
    const engine = this.engine;
    if (!engine) return;
    clearTimeout(this.pullTimer);
    void engine
      .pull()
      .catch(() => {})
      .finally(() => engine.trackRun(false));
  }

  /** After a tool that may have written: the file tools name their paths (a quick targeted pull); anything else pulls all. */
  afterTool(name: string, args: Record<string, unknown>): void {
    if (!this.engine) return;
    const paths = changedPaths(name, args);
    if (paths) void this.engine.pullPaths(paths).catch(() => {});
    else this.schedulePull();
  }

  /** After a checkpoint restore in the sandbox: pull, with the user's edits since `since` kept for review. */
  savedByUserSince(since: number): ReadonlySet<string> | null {
    return this.engine?.userSaves.savedSince(since) ?? null;
  }

  async pullAfterRestore(since: number, paths?: string[]): Promise<void> {
    await this.engine?.pullAfterRestore(since, paths);
  }

  async pullNow(): Promise<void> {
    await this.engine?.pull();
  }

  /** Waits until queued pushes and pulls are done (the e2e test and "Pull Changes" use it). */
  async settle(): Promise<void> {
    await this.engine?.settle();
  }

  private async announce(c: Incoming): Promise<void> {
    const conflict = this.engine?.conflicts.has(c.path);
    const msg = conflict
      ? `Suna: you and the agent both changed ${c.path} (${c.reason}). Nothing was overwritten.`
      : `Suna: the agent changed ${c.path}, which configures your editor or shell. Apply it only if you trust the change.`;
    const pick = await vscode.window.showWarningMessage(msg, 'Show Diff', conflict ? 'Keep Mine' : 'Discard', conflict ? 'Take Theirs' : 'Apply');
    if (pick === 'Show Diff') await this.openDiff(c.path);
    else if (pick === 'Keep Mine' || pick === 'Discard') await this.resolve(c.path, 'mine');
    else if (pick === 'Take Theirs' || pick === 'Apply') await this.resolve(c.path, 'theirs');
  }

  sandboxUri(path: string): vscode.Uri {
    return vscode.Uri.from({ scheme: SANDBOX_SCHEME, path: `/${path}` });
  }

  async openDiff(path: string): Promise<void> {
    const local = vscode.Uri.joinPath(this.folder.uri, ...path.split('/'));
    const theirs = this.sandboxUri(path);
    this.content.changed.fire(theirs);
    const exists = await vscode.workspace.fs.stat(local).then(() => true, () => false);
    if (!exists) {
      await vscode.window.showTextDocument(theirs, { preview: true });
      return;
    }
    await vscode.commands.executeCommand('vscode.diff', theirs, local, `${path}: sandbox ↔ yours`, { preview: true });
  }

  async resolve(path: string, choice: 'mine' | 'theirs'): Promise<void> {
    await this.engine?.resolve(path, choice);
    this.content.changed.fire(this.sandboxUri(path));
    // The diff of a decided file would only say "(no sandbox version…)": close it.
    const theirs = this.sandboxUri(path).toString();
    const tabs = vscode.window.tabGroups.all
      .flatMap((g) => g.tabs)
      .filter((t) => (t.input instanceof vscode.TabInputTextDiff && t.input.original.toString() === theirs) || (t.input instanceof vscode.TabInputText && t.input.uri.toString() === theirs));
    if (tabs.length) await vscode.window.tabGroups.close(tabs, true).then(undefined, () => false);
  }

  /** The path a keep-mine / take-theirs command is about: its argument, the diff in front, or a pick. */
  async pathFor(arg: unknown): Promise<string | undefined> {
    if (typeof arg === 'string') return arg;
    const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
    if (uri?.scheme === SANDBOX_SCHEME) return uri.path.replace(/^\//, '');
    const open = [...(this.engine?.conflicts.keys() ?? []), ...(this.engine?.pending.keys() ?? [])];
    if (uri && uri.scheme === 'file') {
      const rel = vscode.workspace.asRelativePath(uri, false);
      if (open.includes(rel)) return rel;
    }
    return vscode.window.showQuickPick(open, { title: 'Which file?' });
  }

  dispose(): void {
    clearTimeout(this.pullTimer);
    for (const d of this.disposables) d.dispose();
    void this.engine?.userSaves.flush();
    void this.engine?.settle();
  }
}
