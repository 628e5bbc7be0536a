// The panel's checkpoint controls (webview side): "Restore to here" on user messages that have a checkpoint,
// greyed undone items, and "Changes in this run" on a finished run: its files with Diff / Keep / Undo. Paths
// shown come from the host, which checked them (common/checkpoints.ts); they are inserted as text only.
import { canRestoreTo, runCheckpointOf } from '../common/checkpoints.js';
import type { ConversationView, ProtocolClient, RunChangesView } from '../common/protocol.js';
import type { ChatItem } from '../common/transcript.js';
import { h, icon } from './render.js';

interface ChangesList {
  view?: RunChangesView;
  error?: string;
  kept: Set<string>;
  undone: Set<string>;
  busy: Set<string>;
}

/** Open "Changes in this run" lists, by checkpoint id (item indexes change when another conversation is shown). */
const lists = new Map<string, ChangesList>();

/** Adds the checkpoint controls (and the undone look) to the rendered item `el` at `index`. */
export function decorateCheckpoint(el: HTMLElement, items: ChatItem[], index: number): void {
  const item = items[index]!;
  if (item.undone) el.classList.add('undone');
  if (canRestoreTo(items, index))
    el.append(h('button', { class: 'icon-button restore-here', 'data-action': 'ck-restore', 'data-index': String(index), title: 'Restore to here: the sandbox and the workspace go back to before this message', 'aria-label': 'Restore to here' }, icon('discard')));
  const ck = runCheckpointOf(items, index);
  if (!ck) return;
  const list = lists.get(ck.id);
  const bar = h('div', { class: 'checkpoint-actions' }, h('button', { class: 'link', 'data-action': 'ck-changes', 'data-index': String(index), 'aria-expanded': String(!!list) }, icon('diff-multiple'), ' Changes in this run'));
  el.append(bar);
  if (list) el.append(renderList(list, index));
}

function renderList(list: ChangesList, index: number): HTMLElement {
  const box = h('div', { class: 'run-changes', 'data-index': String(index) });
  if (list.error) box.append(h('div', { class: 'notice error' }, icon('error'), ' ', list.error));
  if (!list.view) {
    if (!list.error) box.append(h('div', { class: 'muted' }, icon('loading~spin'), ' Comparing with the checkpoint…'));
    return box;
  }
  const { files, notListed } = list.view;
  if (!files.length) box.append(h('div', { class: 'muted' }, 'No workspace files changed in this run.'));
  const sign = { added: 'A', changed: 'M', removed: 'D' } as const;
  for (const f of files) {
    const state = list.undone.has(f.path) ? 'undone' : list.kept.has(f.path) ? 'kept' : '';
    const row = h('div', { class: `run-change change-${f.change}${state ? ` ${state}` : ''}`, 'data-path': f.path });
    const at = { 'data-index': String(index), 'data-path': f.path };
    row.append(
      h('span', { class: 'change-sign', title: f.change }, sign[f.change]),
      h('button', { class: 'link change-path', 'data-action': 'ck-diff', ...at, title: `${f.path}: before this run ↔ now` }, f.path),
    );
    if (f.userEdited) row.append(h('span', { class: 'muted user-edited', title: 'You saved this file after the run began: the change shown is not only the agent\'s. Undo puts back the version from before the run; your edit is offered for review, not dropped.' }, ' you edited it too'));
    if (state) row.append(h('span', { class: 'muted' }, state === 'kept' ? ' kept' : ' undone'));
    else if (list.busy.has(f.path)) row.append(h('span', { class: 'muted' }, icon('loading~spin')));
    else
      row.append(
        h('button', { class: 'link', 'data-action': 'ck-keep', ...at, title: 'Keep this change' }, 'Keep'),
        h('button', { class: 'link', 'data-action': 'ck-undo', ...at, title: 'Undo: this file goes back to before this run, in the sandbox and the workspace' }, 'Undo'),
      );
    box.append(row);
  }
  if (notListed > 0) box.append(h('div', { class: 'muted' }, `${notListed} other change${notListed === 1 ? '' : 's'} (home directory, folders, links, unusual names) not listed; sandbox_diff shows them.`));
  return box;
}

export interface CheckpointUi {
  client: ProtocolClient;
  items(): ChatItem[];
  rerender(): void;
  showConversation(c: ConversationView): void;
  /** Puts text into the composer (after a restore, the restored message comes back for editing, as Copilot does). */
  offerText(text: string): void;
}

/** Handles a click on one of the controls above; false when `target` is not one. */
export async function onCheckpointClick(target: HTMLElement, ui: CheckpointUi): Promise<boolean> {
  const { action, path } = target.dataset;
  if (!action?.startsWith('ck-')) return false;
  const index = Number(target.dataset.index);
  const ck = runCheckpointOf(ui.items(), index);
  const list = ck && lists.get(ck.id);
  if (action === 'ck-restore') {
    const text = (ui.items()[index] as { text?: string } | undefined)?.text ?? '';
    const r = await ui.client.request('checkpoint/restore', { index });
    if (r.restored) {
      ui.showConversation(r.conversation);
      ui.offerText(text);
    }
  } else if (action === 'ck-changes' && ck) {
    if (list) lists.delete(ck.id);
    else {
      const fresh: ChangesList = { kept: new Set(), undone: new Set(), busy: new Set() };
      lists.set(ck.id, fresh);
      ui.rerender();
      try {
        fresh.view = await ui.client.request('checkpoint/changes', { index });
      } catch (err) {
        fresh.error = (err as Error).message;
      }
    }
    ui.rerender();
  } else if (action === 'ck-diff' && path) await ui.client.request('checkpoint/openDiff', { index, path });
  else if (action === 'ck-keep' && list && path) {
    list.kept.add(path);
    ui.rerender();
  } else if (action === 'ck-undo' && list && path) {
    list.busy.add(path);
    ui.rerender();
    try {
      await ui.client.request('checkpoint/undo', { index, path });
      list.undone.add(path);
    } catch (err) {
      list.error = (err as Error).message;
    } finally {
      list.busy.delete(path);
      ui.rerender();
    }
  }
  return true;
}
