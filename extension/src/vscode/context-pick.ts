// Where the panel's context comes from in VS Code: a quick pick of workspace files and folders (the `@`
// mention), the active editor's selection, the problems list. Returns references (and the selection's or
// problems' text); the host reads files itself when the message is sent (node/context-reader.ts).
import * as vscode from 'vscode';
import { MAX_FILE_CHARS, type Attachment } from '../common/attachments.js';

const MAX_PICK_FILES = 5000;
const EXCLUDE = '**/{node_modules,.git,.suna,dist,build,.venv,__pycache__}/**';

export async function pickWorkspaceEntry(): Promise<Attachment | null> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    void vscode.window.showWarningMessage('Open a folder to attach its files.');
    return null;
  }
  const files = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, '**/*'), EXCLUDE, MAX_PICK_FILES);
  const paths = files.map((u) => vscode.workspace.asRelativePath(u, false)).sort();
  const folders = [...new Set(paths.flatMap((p) => p.split('/').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('/'))))].sort();
  type Item = vscode.QuickPickItem & { attachment: Attachment };
  const items: Item[] = [
    ...paths.map((p) => ({ label: p, iconPath: vscode.ThemeIcon.File, attachment: { kind: 'file' as const, path: p } })),
    ...folders.map((p) => ({ label: `${p}/`, iconPath: vscode.ThemeIcon.Folder, description: 'folder', attachment: { kind: 'folder' as const, path: p } })),
  ];
  const chosen = await vscode.window.showQuickPick(items, { title: 'Attach a file or folder to the message', placeHolder: 'Type to filter workspace files and folders', matchOnDescription: true });
  return chosen?.attachment ?? null;
}

export function editorSelection(): Attachment | null {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.selection.isEmpty) {
    void vscode.window.showInformationMessage('Select some text in an editor first.');
    return null;
  }
  const text = editor.document.getText(editor.selection).slice(0, MAX_FILE_CHARS);
  return { kind: 'selection', path: vscode.workspace.asRelativePath(editor.document.uri, false), startLine: editor.selection.start.line + 1, text };
}

export function problemsList(): Attachment | null {
  const lines: string[] = [];
  const severity = ['error', 'warning', 'info', 'hint'];
  for (const [uri, diagnostics] of vscode.languages.getDiagnostics())
    for (const d of diagnostics) {
      if (d.severity > vscode.DiagnosticSeverity.Warning) continue;
      lines.push(`${vscode.workspace.asRelativePath(uri, false)}:${d.range.start.line + 1}:${d.range.start.character + 1} ${severity[d.severity]}: ${d.message}${d.source ? ` (${d.source})` : ''}`);
    }
  if (!lines.length) {
    void vscode.window.showInformationMessage('No errors or warnings in the Problems view.');
    return null;
  }
  return { kind: 'problems', text: lines.join('\n').slice(0, MAX_FILE_CHARS) };
}
