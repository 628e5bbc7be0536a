// The chat panel's script (runs in the webview): state from the host, user actions as protocol requests,
// run events applied with the same reducer the host uses.
import { ProtocolClient, type ConversationView, type HostCommand, type HostState } from '../common/protocol.js';
import { applyChatEvent, CONTINUE_TEXT, type ChatEvent, type ChatItem, type UsageTotals } from '../common/transcript.js';
import type { UsageMeter } from '../common/usage-meter.js';
import { renderUsage } from './usage-view.js';
import { installCardKeys, keepCardFocus } from './card-keys.js';
import { canEdit, cutWarning, editButton, markCut } from './edit-resend.js';
import { IMAGE_TYPES, MAX_ATTACHMENTS, MAX_IMAGE_BASE64_CHARS, labelOf, type Attachment } from '../common/attachments.js';
import { h, icon, renderBanner, renderItem, renderModelPicker } from './render.js';
import { decorateCheckpoint, onCheckpointClick } from './checkpoint-actions.js';

declare function acquireVsCodeApi(): { postMessage(m: unknown): void; getState(): unknown; setState(s: unknown): void };

const vscode = acquireVsCodeApi();
const client = new ProtocolClient((m) => vscode.postMessage(m));
window.addEventListener('message', (e) => client.receive(e.data));

let items: ChatItem[] = [];
let running = false;
const open = new Set<string>();

// ------------------------------------------------------------------------------------------- layout
const model = h('select', { id: 'model', title: 'Model' });
const usage = h('span', { id: 'usage', class: 'usage' });
const button = (id: string, ico: string, title: string) => h('button', { id, class: 'icon-button', title, 'aria-label': title }, icon(ico));
const historyButton = button('history', 'history', 'History');
const banner = h('div', { id: 'banner', class: 'banner' });
const log = h('div', { id: 'log', class: 'log', role: 'log', 'aria-live': 'polite', tabindex: '0' });
const historyPanel = h('div', { id: 'history-panel', class: 'history-panel' });
historyPanel.hidden = true;
const PLACEHOLDER = 'Ask the agent to do something in the sandbox… (Enter sends, Shift+Enter for a new line)';
const input = h('textarea', { id: 'input', rows: '3', placeholder: PLACEHOLDER });
const send = h('button', { id: 'send', class: 'primary', title: 'Send' }, icon('send'), ' Send');
const chips = h('div', { id: 'attachments', class: 'attachments' });
const editHint = h('div', { id: 'edit-hint', class: 'edit-hint', role: 'status' });
editHint.hidden = true;
const attachFile = button('attach-file', 'mention', 'Attach a workspace file or folder (or type @)');
const attachSelection = button('attach-selection', 'selection', 'Attach the editor selection');
const attachProblems = button('attach-problems', 'warning', 'Attach the errors and warnings from Problems');
const stop = h('button', { id: 'stop', class: 'secondary', title: 'Stop the model and the running tool' }, icon('debug-stop'), ' Stop');
stop.hidden = true;
document.getElementById('app')!.append(
  // New chat and Set API Key are native actions in the view's title bar.
  h('header', { class: 'toolbar' }, model, usage, h('span', { class: 'spacer' }), historyButton),
  banner,
  historyPanel,
  log,
  h('footer', { class: 'composer' }, editHint, chips, input, h('div', { class: 'composer-buttons' }, attachFile, attachSelection, attachProblems, h('span', { class: 'spacer' }), send, stop)),
);
installCardKeys(log);
input.value = (vscode.getState() as { draft?: string } | undefined)?.draft ?? '';

// ------------------------------------------------------------------------------------------ rendering
const isAtBottom = () => log.scrollHeight - log.scrollTop - log.clientHeight < 40;

function renderAll(): void {
  const stick = isAtBottom();
  const refocus = keepCardFocus(log);
  log.replaceChildren(
    ...items.map((i, at) => {
      const el = renderItem(i, open);
      decorateCheckpoint(el, items, at);
      // Any message can be edited and sent again (the conversation goes back to before it); hidden while running.
      if (canEdit(i)) el.append(editButton(at));
      return el;
    }),
  );
  markCut(log, editing);
  if (!items.length) log.append(h('div', { class: 'empty' }, icon('vm'), ' The agent works in a Docker sandbox with a copy of this workspace; what it changes comes back here, and nothing you edit is overwritten.'));
  if (stick) log.scrollTop = log.scrollHeight;
  refocus();
}

let streamFrame = 0;

function renderStreaming(): void {
  streamFrame = 0;
  const item = items[items.length - 1];
  if (item?.kind !== 'assistant' || !log.lastElementChild?.classList.contains('assistant')) return;
  const stick = isAtBottom();
  log.lastElementChild.replaceWith(renderItem(item, open));
  // Follow the stream only when the user is at the bottom: never yank them back from what they scrolled to.
  if (stick) log.scrollTop = log.scrollHeight;
}

function applyEvent(e: ChatEvent): void {
  if (e.type === 'meter') return showUsage(e.meter.usage, e.meter);
  const last = items[items.length - 1];
  applyChatEvent(items, e);
  if (e.type === 'tool_output' || e.type === 'process_output') {
    // Live output: only its card changes; its output box follows the end unless the user scrolled it.
    const old = log.querySelector<HTMLElement>(`.card.tool[data-id="${CSS.escape(e.id)}"]`);
    const item = items.find((i) => i.kind === 'tool' && i.id === e.id);
    if (old && item) {
      const stick = isAtBottom();
      const before = old.querySelector('.live-output');
      const follow = !before || before.scrollHeight - before.scrollTop - before.clientHeight < 20;
      const refocus = keepCardFocus(log);
      const el = renderItem(item, open);
      old.replaceWith(el);
      refocus();
      const box = el.querySelector('.live-output');
      if (box) box.scrollTop = follow ? box.scrollHeight : (before?.scrollTop ?? 0);
      if (stick) log.scrollTop = log.scrollHeight;
      return;
    }
  }
  if (e.type === 'text' && last?.kind === 'assistant' && last.streaming && log.lastElementChild?.classList.contains('assistant')) {
    // Streaming: only the last message changes, rendered at most once a frame (Markdown is not free).
    if (!streamFrame) streamFrame = requestAnimationFrame(renderStreaming);
    return;
  }
  renderAll();
}

function showUsage(u: UsageTotals, meter?: UsageMeter): void {
  renderUsage(usage, meter ?? { usage: u });
}

function showConversationUsage(c: ConversationView): void {
  showUsage(c.usage, c.meter);
}

function setRunning(r: boolean): void {
  running = r;
  log.classList.toggle('running', r);
  stop.hidden = !r;
  send.hidden = r;
}

function showConversation(c: ConversationView): void {
  if (editing !== undefined) endEdit(); // the edited message belonged to the conversation shown before
  items = structuredClone(c.items);
  showUsage(c.usage, c.meter);
  renderAll();
}

function showState(s: HostState): void {
  renderModelPicker(model, s.models, s.model);
  renderBanner(banner, s);
}

// -------------------------------------------------------------------------------------------- actions
/** Set while the input holds an edited earlier message: sending replaces that message. */
let editing: number | undefined;

function startEdit(index: number): void {
  const item = items[index];
  if (item?.kind !== 'user') return;
  editing = index;
  editHint.textContent = cutWarning(items, index);
  editHint.hidden = false;
  markCut(log, index);
  input.value = item.text;
  input.classList.add('editing');
  input.placeholder = 'Edit the message and send it again (Escape cancels)';
  input.focus();
}

function endEdit(): void {
  editing = undefined;
  editHint.hidden = true;
  markCut(log, undefined);
  input.classList.remove('editing');
  input.placeholder = PLACEHOLDER;
}

// ---------------------------------------------------------------------------------- context for a message
let attachments: Attachment[] = [];

function showAttachments(): void {
  chips.replaceChildren(
    ...attachments.map((a, i) => {
      const ico = { file: 'file', folder: 'folder', selection: 'selection', problems: 'warning', image: 'file-media' }[a.kind];
      const chip = h('span', { class: `chip chip-${a.kind}`, title: labelOf(a).label }, icon(ico), ' ', labelOf(a).label);
      if (a.kind === 'image') chip.prepend(h('img', { class: 'chip-thumb', src: `data:${a.mimeType};base64,${a.data}`, alt: '' }));
      chip.append(h('button', { class: 'icon-button chip-remove', 'data-action': 'detach', 'data-index': String(i), title: 'Remove', 'aria-label': `Remove ${labelOf(a).label}` }, icon('close')));
      return chip;
    }),
  );
  chips.hidden = attachments.length === 0;
}

function attach(a: Attachment | null): void {
  if (!a) return;
  if (attachments.length >= MAX_ATTACHMENTS) return void applyEvent({ type: 'notice', level: 'warning', text: `At most ${MAX_ATTACHMENTS} attachments per message.` });
  if (a.kind !== 'image' && attachments.some((b) => b.kind === a.kind && labelOf(b).label === labelOf(a).label)) return;
  attachments.push(a);
  showAttachments();
}

/** Pasted or dropped images become attachments; other data is left to the textarea. */
async function attachImages(files: FileList | null | undefined): Promise<boolean> {
  const images = [...(files ?? [])].filter((f) => (IMAGE_TYPES as readonly string[]).includes(f.type));
  for (const f of images) {
    const data = await new Promise<string>((resolve) => {
      const r = new FileReader();
      r.onload = () => resolve(String(r.result).replace(/^data:[^,]*,/, ''));
      r.onerror = () => resolve('');
      r.readAsDataURL(f);
    });
    if (!data || data.length > MAX_IMAGE_BASE64_CHARS) applyEvent({ type: 'notice', level: 'warning', text: `${f.name || 'The image'} is too large to attach (at most 5 MB).` });
    else attach({ kind: 'image', name: f.name || `pasted.${f.type.split('/')[1]}`, mimeType: f.type, data });
  }
  return images.length > 0;
}

async function sendMessage(again?: { text: string; rewindTo?: number }): Promise<void> {
  const text = again?.text ?? input.value.trim();
  if (!text || running) return;
  const rewindTo = again?.rewindTo ?? editing;
  const context = again ? [] : attachments;
  if (!again) {
    input.value = '';
    vscode.setState({ draft: '' });
    attachments = [];
    showAttachments();
  }
  endEdit();
  setRunning(true);
  try {
    await client.request('chat/send', { text, ...(rewindTo !== undefined ? { rewindTo } : {}), ...(context.length ? { attachments: context } : {}) }, { onChunk: applyEvent });
    showConversationUsage((await client.request('ui/ready', {})).conversation);
  } catch (err) {
    applyEvent({ type: 'notice', level: 'error', text: (err as Error).message });
  } finally {
    setRunning(false);
  }
}

async function follow(): Promise<void> {
  setRunning(true);
  try {
    await client.request('chat/attach', {}, { onChunk: applyEvent });
    showConversationUsage((await client.request('ui/ready', {})).conversation);
  } finally {
    setRunning(false);
  }
}

async function toggleHistory(): Promise<void> {
  if (!historyPanel.hidden) {
    historyPanel.hidden = true;
    return;
  }
  const list = await client.request('history/list', {});
  historyPanel.replaceChildren(
    h('div', { class: 'history-title' }, 'Conversations'),
    ...(list.length
      ? list.map((c) =>
          h(
            'div',
            { class: 'history-item' },
            h('button', { class: 'link history-open', 'data-id': c.id }, c.title),
            h('span', { class: 'muted' }, ` ${new Date(c.updatedAt).toLocaleString()}`),
            h('button', { class: 'icon-button history-delete', 'data-id': c.id, title: 'Delete' }, icon('trash')),
          ),
        )
      : [h('div', { class: 'muted' }, 'No saved conversations yet.')]),
  );
  historyPanel.hidden = false;
}

const checkpointUi = {
  client,
  items: () => items,
  rerender: renderAll,
  showConversation,
  offerText: (text: string) => {
    if (!input.value.trim()) input.value = text;
  },
};

send.addEventListener('click', () => void sendMessage());
stop.addEventListener('click', () => void client.request('chat/stop', {}));
input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    void sendMessage();
  } else if (e.key === 'Escape' && editing !== undefined) {
    input.value = '';
    endEdit();
  }
});
input.addEventListener('input', (e) => {
  vscode.setState({ draft: input.value });
  // `@` typed at the start of a word opens the workspace picker.
  const at = input.selectionStart;
  if ((e as InputEvent).data === '@' && (at === 1 || /\s/.test(input.value[at - 2] ?? ''))) void pickContext(true);
});
input.addEventListener('paste', (e) => {
  if (e.clipboardData?.files.length) void attachImages(e.clipboardData.files);
  if ([...(e.clipboardData?.files ?? [])].some((f) => f.type.startsWith('image/'))) e.preventDefault();
});
input.addEventListener('dragover', (e) => e.preventDefault());
input.addEventListener('drop', (e) => {
  if (![...(e.dataTransfer?.files ?? [])].some((f) => f.type.startsWith('image/'))) return;
  e.preventDefault();
  void attachImages(e.dataTransfer?.files);
});

/** The picker's choice becomes a chip (and an `@path` mention in the text when typed with `@`). */
async function pickContext(typed: boolean): Promise<void> {
  const a = await client.request('context/pick', {});
  if (a && (a.kind === 'file' || a.kind === 'folder') && typed) {
    const at = input.selectionStart;
    input.value = `${input.value.slice(0, at)}${a.path} ${input.value.slice(at)}`;
    input.selectionStart = input.selectionEnd = at + a.path.length + 1;
  }
  attach(a);
  input.focus();
}
attachFile.addEventListener('click', () => void pickContext(false));
attachSelection.addEventListener('click', async () => attach(await client.request('context/selection', {})));
attachProblems.addEventListener('click', async () => attach(await client.request('context/problems', {})));
showAttachments();
historyButton.addEventListener('click', () => void toggleHistory());
model.addEventListener('change', async () => showState(await client.request('model/select', { model: model.value })));

document.addEventListener('click', async (e) => {
  const el = e.target as HTMLElement;
  const link = el.closest<HTMLElement>('a.md-link');
  if (link?.dataset.href) {
    e.preventDefault();
    await client.request('link/open', { href: link.dataset.href });
    return;
  }
  const target = el.closest('button');
  if (!target) return;
  if (target.classList.contains('copy-code')) {
    const code = target.closest('.code-block')?.querySelector('code, pre');
    await client.request('clipboard/copy', { text: code?.textContent ?? '' });
    target.replaceChildren(icon('check'));
    setTimeout(() => target.replaceChildren(icon('copy')), 1500);
    return;
  }
  // Rendered model text never carries buttons (markdown.ts), but never act on one found inside it either.
  if (target.closest('.md')) return;
  if (await onCheckpointClick(target, checkpointUi)) return;
  const { action, id, command, sync, path } = target.dataset;
  if (action === 'approve' || action === 'deny' || action === 'always') await client.request('tool/decide', { callId: id!, approve: action !== 'deny', always: action === 'always' });
  else if (action === 'open-diff') await client.request('tool/openDiff', { callId: id! });
  else if (action === 'stop-process') await client.request('process/stop', { callId: id! });
  else if (action === 'edit') startEdit(Number(target.dataset.index));
  else if (action === 'detach') {
    attachments.splice(Number(target.dataset.index), 1);
    showAttachments();
  }
  else if (action === 'continue') await sendMessage({ text: CONTINUE_TEXT });
  else if (action === 'retry') {
    const at = items.findLastIndex((i) => i.kind === 'user');
    const last = items[at];
    if (last?.kind === 'user') await sendMessage({ text: last.text, rewindTo: at });
  }
  else if (command) await client.request('command/run', { command: command as HostCommand });
  else if (sync === 'open') await client.request('sync/open', { path: path! });
  else if (sync === 'mine' || sync === 'theirs') await client.request('sync/resolve', { path: path!, choice: sync });
  else if (target.classList.contains('history-open')) {
    historyPanel.hidden = true;
    showConversation(await client.request('history/open', { id: id! }));
  } else if (target.classList.contains('history-delete')) {
    await client.request('history/delete', { id: id! });
    historyPanel.hidden = true;
    await toggleHistory();
  }
});
// Links in answers are reachable by keyboard (they have no href, so Enter needs a hand).
document.addEventListener('keydown', (e) => {
  const link = (e.target as HTMLElement).closest?.<HTMLElement>('a.md-link');
  if (link && (e.key === 'Enter' || e.key === ' ')) {
    e.preventDefault();
    link.click();
  }
});
// Remember which parts of tool cards the user opened or closed, across re-renders.
document.addEventListener(
  'toggle',
  (e) => {
    const d = e.target as HTMLDetailsElement;
    const id = d.closest<HTMLElement>('.card.tool')?.dataset.id;
    if (!id || !d.dataset.part) return;
    const key = `${id}:${d.dataset.part}`;
    if (d.open) {
      open.add(key);
      open.delete(`${key}-closed`);
    } else {
      open.delete(key);
      open.add(`${key}-closed`);
    }
  },
  true,
);

// "Suna: Focus on Chat View" (and any focus coming from outside the panel) puts the cursor in the input;
// a click inside the panel keeps its own target.
let lastPointerDown = 0;
window.addEventListener('pointerdown', () => (lastPointerDown = Date.now()), true);
window.addEventListener('focus', () =>
  setTimeout(() => {
    if (Date.now() - lastPointerDown > 300 && (document.activeElement === document.body || document.activeElement === null)) input.focus();
  }, 0),
);
// Screenshots open full size in an editor tab.
document.addEventListener('click', (e) => {
  const img = (e.target as HTMLElement).closest<HTMLImageElement>('img.tool-image');
  const m = img && /^data:(image\/[a-z]+);base64,(.*)$/.exec(img.src);
  if (m) void client.request('image/open', { mimeType: m[1]!, data: m[2]! });
});

client.on('state', showState);
client.on('chat', applyEvent);
client.on('conversation', (c) => {
  showConversation(c);
  setRunning(false);
});

void client.request('ui/ready', {}).then(({ state: s, conversation }) => {
  showState(s);
  showConversation(conversation);
  if (conversation.runId) void follow();
});
