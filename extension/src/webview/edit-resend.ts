// Edit-and-resend on any message the user sent (not only the last): the input takes its text, a line above
// the input says what sending will cut (the answers and tool calls after it), and those items are dimmed
// until the edit is sent or cancelled. The host rewinds the conversation there (ChatSession.rewind).
import type { ChatItem } from '../common/transcript.js';
import { h, icon } from './render.js';

/** Messages from before edit-and-resend existed have no place in the model messages and cannot be edited; nor can
 *  a message a restore undid (the model no longer sees it; Restore to here gave its text back to the input). */
export function canEdit(item: ChatItem | undefined): boolean {
  return item?.kind === 'user' && !item.undone && item.messageIndex !== undefined;
}

export function editButton(index: number): HTMLElement {
  return h('button', { class: 'icon-button edit-message', 'data-action': 'edit', 'data-index': String(index), title: 'Edit and send again', 'aria-label': 'Edit and send again' }, icon('edit'));
}

/** What sending the edit does to the transcript, in words. */
export function cutWarning(items: ChatItem[], index: number): string {
  const after = items.slice(index + 1).filter((i) => i.kind !== 'run-end');
  const later = after.filter((i) => i.kind === 'user').length;
  if (!after.length) return 'Editing your message: sending replaces it.';
  const what = later ? `everything after it, including ${later} later message${later === 1 ? '' : 's'} of yours` : `the ${after.length} item${after.length === 1 ? '' : 's'} after it (answers, tool calls)`;
  return `Editing an earlier message: sending it removes ${what} from this conversation. Changes already made in the sandbox stay.`;
}

/** Dims the items that sending the edit will remove (none when `index` is undefined). */
export function markCut(log: HTMLElement, index: number | undefined): void {
  [...log.children].forEach((el, i) => el.classList.toggle('will-cut', index !== undefined && i > index));
}
