// The panel's checkpoint actions in VS Code: "Restore to here" behind a modal that says what happens, and
// "Changes in this run" with each file in the diff editor (its text at the run's checkpoint ↔ the workspace now)
// and Undo per file. The logic is node/restore-flow.ts; the checkpoint side of a diff is served read-only here.
import * as vscode from 'vscode';
import { runCheckpointOf, type RunChanges, type RunCheckpoint } from '../common/checkpoints.js';
import type { Handlers } from '../common/protocol.js';
import type { ChatSession } from '../node/chat-session.js';
import { restoreToMessage, runChanges, undoFile, type CheckpointServer, type WorkspaceFollow } from '../node/restore-flow.js';

export interface CheckpointHost {
  server: CheckpointServer;
  /** The sync's pull after a restore; undefined when the workspace is not synced. */
  follow(): WorkspaceFollow | undefined;
  workspaceRoot: vscode.Uri | undefined;
}

const SCHEME = 'suna-checkpoint';
type CheckpointHandlers = Pick<Handlers, 'checkpoint/restore' | 'checkpoint/changes' | 'checkpoint/openDiff' | 'checkpoint/undo'>;

export class CheckpointActions implements vscode.Disposable {
  /** The last listing per checkpoint: only paths the host listed itself can be opened or undone. */
  private readonly listed = new Map<string, RunChanges>();
  private readonly texts = new Map<string, string>();
  private readonly provider: vscode.Disposable;

  constructor(
    private readonly host: CheckpointHost,
    private readonly session: () => ChatSession,
  ) {
    this.provider = vscode.workspace.registerTextDocumentContentProvider(SCHEME, { provideTextDocumentContent: (uri) => this.texts.get(uri.toString()) ?? '' });
  }

  private runOf(index: unknown): RunCheckpoint {
    const ck = Number.isSafeInteger(index) ? runCheckpointOf(this.session().conversation.items, index as number) : undefined;
    if (!ck) throw new Error('this run has no sandbox checkpoint');
    return ck;
  }

  private listedFile(ck: RunCheckpoint, path: unknown) {
    const file = this.listed.get(ck.id)?.files.find((f) => f.path === path);
    if (!file) throw new Error('that file is not in the list of this run\'s changes; open "Changes in this run" again');
    return file;
  }

  handlers(): CheckpointHandlers {
    return {
      'checkpoint/restore': async ({ index }) => ({ restored: await this.restore(index), conversation: this.session().view() }),
      'checkpoint/changes': async ({ index }) => {
        const ck = this.runOf(index);
        const changes = await runChanges(this.host.server, ck);
        this.listed.set(ck.id, changes);
        while (this.listed.size > 10) this.listed.delete(this.listed.keys().next().value!);
        const saved = this.host.follow()?.savedByUserSince(ck.at);
        return { files: changes.files.map(({ path, change }) => ({ path, change, ...(saved?.has(path) ? { userEdited: true } : {}) })), notListed: changes.notListed };
      },
      'checkpoint/openDiff': async ({ index, path }) => {
        const ck = this.runOf(index);
        const file = this.listedFile(ck, path);
        const left = this.textUri(`/${ck.id}/${file.path}`, file.change === 'added' ? '' : (file.before ?? '(the version before this run is not shown here: a binary or large file; Undo still restores it)'));
        const root = this.host.workspaceRoot;
        const local = root && vscode.Uri.joinPath(root, ...file.path.split('/'));
        const exists = local && (await vscode.workspace.fs.stat(local).then(() => true, () => false));
        const right = exists ? local : this.textUri(`/now/${file.path}`, '(not in the workspace now)');
        await vscode.commands.executeCommand('vscode.diff', left, right, `${file.path} (before this run ↔ now)`, { preview: true });
        return { ok: true };
      },
      'checkpoint/undo': async ({ index, path }) => {
        const ck = this.runOf(index);
        const file = this.listedFile(ck, path);
        await undoFile(this.host.server, this.host.follow(), ck, file.path);
        const list = this.listed.get(ck.id);
        if (list) list.files = list.files.filter((f) => f !== file);
        return { ok: true };
      },
    };
  }

  private textUri(path: string, text: string): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: SCHEME, path });
    this.texts.set(uri.toString(), text);
    while (this.texts.size > 40) this.texts.delete(this.texts.keys().next().value!);
    return uri;
  }

  /** Asks first (modal), then restores; false when the user said no. */
  private async restore(index: unknown): Promise<boolean> {
    const session = this.session();
    const item = Number.isSafeInteger(index) ? session.conversation.items[index as number] : undefined;
    if (item?.kind !== 'user') throw new Error('only a message you sent can be restored');
    const quoted = item.text.trim().split('\n')[0]!.slice(0, 80);
    const detail = [
      `The sandbox's /workspace and home directory go back to how they were before "${quoted}" was sent, and every process in the sandbox is stopped.`,
      'The workspace follows: what the agent changed since then goes back. A file you edited since then is not touched: it is offered for review (Diff, Keep mine, Take theirs).',
      'The messages from there on stay visible, greyed, and are no longer sent to the model. The present is checkpointed first, so the restore can be undone.',
    ].join('\n\n');
    const choice = await vscode.window.showWarningMessage('Restore the sandbox and the workspace to before this message?', { modal: true, detail }, 'Restore');
    if (choice !== 'Restore') return false;
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Suna: restoring the checkpoint…' }, () =>
      restoreToMessage(session, index as number, this.host.server, this.host.follow()),
    );
    return true;
  }

  dispose(): void {
    this.provider.dispose();
  }
}
