// DOM rendering of the chat panel, from data only (ChatItem, HostState). Tool output and user text are inserted
// as text (textContent); the model's answers go through the sanitising Markdown renderer (markdown.ts) only.
import { createMarkdownRenderer } from './markdown.js';
import type { ApprovalPreview } from '../common/approval-preview.js';
import type { HostState, ModelChoice } from '../common/protocol.js';
import { formatUsage, type ChatItem, type ToolCard } from '../common/transcript.js';

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) el.append(c);
  return el;
}

/** A codicon; `name~spin` (VS Code's ThemeIcon syntax) becomes the real classes `codicon-name codicon-modifier-spin`. */
export function icon(name: string, title?: string): HTMLElement {
  const [base, modifier] = name.split('~');
  const cls = `codicon codicon-${base}${modifier ? ` codicon-modifier-${modifier}` : ''}`;
  return h('i', { class: cls, ...(title ? { title, 'aria-label': title } : {}) });
}

let markdown: ReturnType<typeof createMarkdownRenderer> | undefined;
/** The model's text as sanitised Markdown (created on first use: the unit tests import this file without a DOM). */
export function renderMarkdown(text: string): DocumentFragment {
  markdown ??= createMarkdownRenderer(window);
  return markdown.render(text);
}

/** Plain text with ``` fences shown as code blocks and `inline code`. */
export function renderText(text: string): DocumentFragment {
  const frag = document.createDocumentFragment();
  const parts = text.split(/```[^\n]*\n?/);
  parts.forEach((part, i) => {
    if (i % 2 === 1) {
      frag.append(h('pre', { class: 'code' }, part.replace(/\n$/, '')));
      return;
    }
    for (const para of part.split(/\n{2,}/)) {
      if (!para.trim()) continue;
      const p = h('p');
      para.split(/(`[^`\n]+`)/).forEach((seg, j) => p.append(j % 2 === 1 ? h('code', {}, seg.slice(1, -1)) : seg));
      frag.append(p);
    }
  });
  return frag;
}

const STATUS: Record<ToolCard['status'], [string, string]> = {
  running: ['loading~spin', 'running'],
  'awaiting-approval': ['question', 'waiting for your approval'],
  ok: ['check', 'done'],
  error: ['error', 'failed'],
  denied: ['circle-slash', 'denied'],
  cancelled: ['debug-stop', 'cancelled'],
};

/** One line naming what the call is about: its path, command or first string argument. */
function argSummary(args: Record<string, unknown>): string {
  for (const k of ['path', 'command', 'url', 'query', 'from', 'pattern']) if (typeof args[k] === 'string') return String(args[k]);
  const first = Object.values(args).find((v) => typeof v === 'string');
  return typeof first === 'string' ? first : '';
}

/** A toggle's label: not a Tab stop of its own (the card is), its state said by aria-expanded. */
function summaryOf(expanded: boolean, ...children: Array<Node | string>): HTMLElement {
  return h('summary', { tabindex: '-1', 'aria-expanded': String(expanded) }, ...children);
}

const LONG_CHARS = 1200;
const LONG_LINES = 16;

export function renderToolCard(c: ToolCard, open: Set<string>): HTMLElement {
  const [ico, label] = STATUS[c.status];
  const summary = argSummary(c.args);
  // One Tab stop per card; its toggles are reached with the arrow keys (card-keys.ts).
  const card = h('div', { class: `card tool status-${c.status}`, 'data-id': c.id, 'data-name': c.name, tabindex: '0', role: 'group', 'aria-label': `${c.name} ${summary.split('\n')[0]!.slice(0, 80)}: ${label}` });
  card.append(
    h(
      'div',
      { class: 'card-head' },
      icon('tools'),
      h('span', { class: 'tool-name' }, c.name),
      h('span', { class: 'tool-arg', title: summary }, summary.split('\n')[0]!.slice(0, 120)),
      h('span', { class: 'tool-status', title: label }, icon(ico), c.durationMs !== undefined ? ` ${Math.round(c.durationMs)} ms` : ''),
    ),
  );
  const args = h('details', { class: 'tool-args', 'data-part': 'args' }, summaryOf(open.has(`${c.id}:args`), 'Arguments'), h('pre', {}, JSON.stringify(c.args, null, 2)));
  if (open.has(`${c.id}:args`)) args.open = true;
  if (c.preview) card.append(renderPreview(c.id, c.preview, c.status === 'awaiting-approval' || open.has(`${c.id}:preview`)));
  card.append(args);
  if (c.status === 'awaiting-approval') {
    card.append(
      h(
        'div',
        { class: 'approval' },
        h('span', { class: 'approval-reason' }, `${c.name} ${c.approvalReason ?? 'changes the sandbox'}. Run it?`),
        h('button', { class: 'primary', 'data-action': 'approve', 'data-id': c.id }, icon('check'), ' Approve'),
        h('button', { class: 'secondary', 'data-action': 'deny', 'data-id': c.id }, icon('close'), ' Deny'),
        h('button', { class: 'secondary', 'data-action': 'always', 'data-id': c.id, title: `Run ${c.name} without asking in this workspace (undo in Settings: Suna › Always Allow Tools)` }, icon('check-all'), ' Always allow'),
      ),
    );
  }
  if (c.output && !c.background) {
    const label = c.status === 'running' ? 'Output so far' : 'Output shown before it ended';
    card.append(h('div', { class: 'live-output-label muted' }, label), h('pre', { class: 'live-output' }, c.output));
  }
  if (c.result !== undefined) {
    const long = c.result.length > LONG_CHARS || c.result.split('\n').length > LONG_LINES;
    const expanded = open.has(`${c.id}:result`) || (!long && !open.has(`${c.id}:result-closed`));
    const result = h('details', { class: 'tool-result', 'data-part': 'result' }, summaryOf(expanded, long ? `Result (${c.result.length.toLocaleString('en-US')} characters)` : 'Result'), h('pre', {}, c.result));
    result.open = expanded;
    card.append(result);
  }
  if (c.background) card.append(renderProcess(c.id, c.background, c.output));
  for (const img of c.images ?? []) card.append(h('img', { class: 'tool-image', src: `data:${img.mimeType};base64,${img.data}`, alt: `${c.name} image` }));
  return card;
}

const PROCESS_WORDS: Record<NonNullable<ToolCard['background']>['state'], string> = {
  running: 'Output of the background process, as it arrives',
  ended: 'Output of the background process',
  stopped: 'Output shown before it was stopped',
  unfollowed: 'Output shown while it was followed',
};

/** A background process the call started: its output (sandbox text, as text only) and Stop while it runs. */
function renderProcess(id: string, p: NonNullable<ToolCard['background']>, output: string | undefined): HTMLElement {
  const box = h('div', { class: `process process-${p.state}` });
  const head = h('div', { class: 'live-output-label muted' }, ...(p.state === 'running' ? [icon('loading~spin'), ' '] : []), PROCESS_WORDS[p.state], p.note ? ` (${p.note})` : '');
  if (p.state === 'running') head.append(' ', h('button', { class: 'link', 'data-action': 'stop-process', 'data-id': id, title: `Stop ${p.processId} (shell_kill)` }, icon('debug-stop'), ' Stop'));
  box.append(head, h('pre', { class: 'live-output' }, output || '(no output yet)'));
  return box;
}

/** What the call would do: a diff (with Open diff), the command, or the address; open while it waits. */
function renderPreview(id: string, p: ApprovalPreview, expanded: boolean): HTMLElement {
  const box = h('details', { class: `tool-preview preview-${p.kind}`, 'data-part': 'preview' });
  box.open = expanded;
  if (p.kind === 'command') {
    box.append(summaryOf(expanded, 'Command'), h('pre', { class: 'command' }, p.cwd ? `# in ${p.cwd}\n${p.command}` : p.command));
    return box;
  }
  if (p.kind === 'url') {
    box.append(summaryOf(expanded, 'Address'), h('code', { class: 'url' }, p.url));
    return box;
  }
  box.append(
    summaryOf(expanded, `Changes to ${p.path} `, h('span', { class: 'diff-added' }, `+${p.added}`), ' ', h('span', { class: 'diff-removed' }, `-${p.removed}`)),
    ...(p.note ? [h('div', { class: 'muted' }, p.note)] : []),
  );
  const pre = h('pre', { class: 'diff' });
  for (const line of p.patch.split('\n')) {
    const cls = line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : line.startsWith('@@') ? 'hunk' : 'ctx';
    pre.append(h('span', { class: `diff-line ${cls}` }, line || ' '), '\n');
  }
  if (p.patch) box.append(pre);
  box.append(h('button', { class: 'link', 'data-action': 'open-diff', 'data-id': id }, icon('diff'), ' Open diff'));
  return box;
}

export function renderItem(item: ChatItem, open: Set<string>): HTMLElement {
  switch (item.kind) {
    case 'user': {
      const el = h('div', { class: `msg user${item.failed ? ' failed' : ''}` }, renderText(item.text));
      if (item.attachments?.length)
        el.append(h('div', { class: 'attachments sent' }, ...item.attachments.map((a) => h('span', { class: `chip chip-${a.kind}`, title: a.label }, icon(a.kind === 'image' ? 'file-media' : a.kind === 'problems' ? 'warning' : a.kind), ' ', a.label))));
      if (item.failed) el.append(h('div', { class: 'unsent' }, icon('warning'), ' Not answered: not kept for the model.'));
      return el;
    }
    case 'assistant': {
      const el = h('div', { class: `msg assistant md${item.streaming ? ' streaming' : ''}` });
      el.append(renderMarkdown(item.text));
      return el;
    }
    case 'tool':
      return renderToolCard(item, open);
    case 'notice':
      return h('div', { class: `notice ${item.level}` }, icon(item.level === 'error' ? 'error' : item.level === 'warning' ? 'warning' : 'info'), ' ', item.text);
    case 'run-end': {
      const words: Record<string, string> = { final_answer: 'Done', cancelled: 'Stopped', interrupted: 'Interrupted by a window reload', max_steps: 'Stopped: step limit reached', max_wall_time: 'Stopped: time limit reached', error: 'Failed' };
      return h(
        'div',
        { class: `run-end reason-${item.reason}` },
        h('span', {}, words[item.reason] ?? item.reason),
        h('span', { class: 'usage' }, ` · ${formatUsage(item.usage)}`),
        ...(item.error ? [h('div', { class: 'run-error' }, item.error)] : []),
        ...(item.reason === 'interrupted' ? [h('div', { class: 'run-actions' }, h('button', { class: 'secondary', 'data-action': 'continue' }, icon('debug-continue'), ' Continue'))] : []),
        ...(item.reason === 'error'
          ? [
              h(
                'div',
                { class: 'run-actions' },
                h('button', { class: 'secondary', 'data-action': 'retry' }, icon('refresh'), ' Retry'),
                ...(item.errorKind === 'auth' ? [h('button', { class: 'secondary', 'data-command': 'setApiKey' }, icon('key'), ' Set API Key')] : []),
              ),
            ]
          : []),
      );
    }
  }
}

export function renderModelPicker(select: HTMLSelectElement, models: ModelChoice[], current: string): void {
  select.replaceChildren(...models.map((m) => h('option', { value: m.id, ...(m.id === current ? { selected: '' } : {}) }, `${m.id}${m.hasKey ? '' : ' (no key)'}`)));
}

export function renderBanner(el: HTMLElement, s: HostState): void {
  const parts: HTMLElement[] = [];
  if (s.problem) parts.push(h('div', { class: 'banner-line error problem' }, icon('error'), ' ', s.problem, ' ', h('button', { class: 'link', 'data-command': 'restartServer' }, 'Retry')));
  else if (s.server.status !== 'ready')
    parts.push(h('div', { class: 'banner-line' }, icon(s.server.status === 'error' ? 'error' : 'loading~spin'), ` Server ${s.server.status}${s.server.detail ? `: ${s.server.detail}` : ''}`));
  if (!s.models.find((m) => m.id === s.model)?.hasKey)
    parts.push(h('div', { class: 'banner-line warning' }, icon('key'), ' No API key for this model. ', h('button', { class: 'link', 'data-command': 'setApiKey' }, 'Set API Key')));
  for (const path of s.sync.conflicts)
    parts.push(
      h(
        'div',
        { class: 'banner-line warning conflict', 'data-path': path },
        icon('git-merge'),
        ' Conflict: ',
        h('code', {}, path),
        ' (changed by you and the agent) ',
        h('button', { class: 'link', 'data-sync': 'open', 'data-path': path }, 'Diff'),
        h('button', { class: 'link', 'data-sync': 'mine', 'data-path': path }, 'Keep mine'),
        h('button', { class: 'link', 'data-sync': 'theirs', 'data-path': path }, 'Take theirs'),
      ),
    );
  for (const path of s.sync.pending)
    parts.push(
      h(
        'div',
        { class: 'banner-line warning pending', 'data-path': path },
        icon('shield'),
        ' The agent changed ',
        h('code', {}, path),
        ' (editor or shell configuration) ',
        h('button', { class: 'link', 'data-sync': 'open', 'data-path': path }, 'Diff'),
        h('button', { class: 'link', 'data-sync': 'theirs', 'data-path': path }, 'Apply'),
        h('button', { class: 'link', 'data-sync': 'mine', 'data-path': path }, 'Discard'),
      ),
    );
  if (s.sync.skippedCount)
    parts.push(h('div', { class: 'banner-line info', title: s.sync.skipped.map((i) => `${i.path}: ${i.reason}`).join('\n') }, icon('info'), ` ${s.sync.skippedCount} files not synced (size caps); hover for the list`));
  if (s.sync.state === 'error' && s.sync.message) parts.push(h('div', { class: 'banner-line error' }, icon('warning'), ` Sync: ${s.sync.message}`));
  el.replaceChildren(...parts);
  el.hidden = parts.length === 0;
}
