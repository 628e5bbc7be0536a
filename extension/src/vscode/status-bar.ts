// The status bar item: sandbox and sync state at a glance; a click opens the chat panel.
import * as vscode from 'vscode';
import type { HostState } from '../common/protocol.js';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('suna.status', vscode.StatusBarAlignment.Left, 50);
  private last: HostState | undefined;
  /** Calls waiting for approval while the panel is hidden: they take over the item until answered. */
  private waiting = 0;

  constructor(private readonly sandbox: string) {
    this.item.name = 'Suna sandbox';
    this.item.command = 'workbench.view.extension.suna';
    this.item.show();
  }

  setPendingApprovals(count: number): void {
    this.waiting = count;
    if (this.last) this.update(this.last);
  }

  update(s: HostState): void {
    this.last = s;
    const sync = s.sync;
    const conflicts = sync.conflicts.length + sync.pending.length;
    let icon = '$(vm)';
    let text: string;
    if (s.problem) {
      icon = '$(error)';
      text = 'sandbox unavailable';
    } else if (s.server.status !== 'ready') {
      icon = s.server.status === 'error' ? '$(error)' : '$(sync~spin)';
      text = `server ${s.server.status}`;
    } else if (conflicts) {
      icon = '$(warning)';
      text = `${conflicts} to review`;
    } else if (sync.state === 'initial' || sync.state === 'pushing' || sync.state === 'pulling') {
      icon = '$(sync~spin)';
      text = sync.state === 'initial' ? 'syncing…' : sync.state;
    } else if (sync.state === 'error') {
      icon = '$(warning)';
      text = 'sync error';
    } else text = sync.state === 'off' ? 'sync off' : `synced ${sync.files} files`;
    this.item.text = `${icon} ${s.server.mode === 'http' ? 'remote' : this.sandbox}: ${text}`;
    const lines = [
      `**Suna sandbox** \`${s.server.sandbox ?? s.server.detail ?? 'remote server'}\``,
      `Server: ${s.server.status}${s.server.detail ? ` (${s.server.detail})` : ''}`,
      `Sync: ${sync.state}, ${sync.files} files${sync.skippedCount ? `, ${sync.skippedCount} left out` : ''}`,
      ...(sync.message ? [sync.message] : []),
      ...(conflicts ? [`${sync.conflicts.length} conflicts, ${sync.pending.length} changes waiting for approval`] : []),
      ...(s.problem ? [s.problem] : []),
    ];
    this.item.tooltip = new vscode.MarkdownString(lines.join('\n\n'));
    if (this.waiting) {
      this.item.text = `$(bell-dot) Suna: ${this.waiting === 1 ? 'a tool call waits' : `${this.waiting} tool calls wait`} for your approval`;
      this.item.tooltip = 'Open the Suna chat to Approve or Deny';
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
      return;
    }
    this.item.backgroundColor = s.problem || sync.state === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : conflicts ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
