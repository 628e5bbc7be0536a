// Output discipline shared by every tool result: strip terminal control sequences, and cap long text as
// head + tail with a marker that says how much was left out and where the whole text is.

/** Default cap for one text block of a tool result (Claude Desktop rejects results over 1 MB). */
export const DEFAULT_MAX_OUTPUT_CHARS = 30_000;

// CSI (ESC [ … final), OSC (ESC ] … BEL / ESC \), and two-character ESC sequences.
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;
// C0 controls except \t and \n, plus DEL and C1 controls.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Make process output safe to show: no escape sequences, no control bytes, CRLF → LF. */
export function sanitizeOutput(text: string): string {
  return text
    .replace(ANSI, '')
    .replace(/\r\n/g, '\n')
    .replace(/\r/g, '\n')
    .replace(CONTROL, '\uFFFD');
}

export interface CappedText {
  text: string;
  truncated: boolean;
  omittedChars: number;
}

/**
 * Keep the first and last parts of `text` within `maxChars`. `totalHint` is the true size when the text
 * given is already a head+tail excerpt of something bigger (e.g. 200 MB of command output).
 */
export function capText(text: string, maxChars: number, opts: { savedTo?: string; totalHint?: number; unit?: string } = {}): CappedText {
  const total = Math.max(text.length, opts.totalHint ?? 0);
  if (text.length <= maxChars && total === text.length) return { text, truncated: false, omittedChars: 0 };
  const where = opts.savedTo ? `; the full output is in ${opts.savedTo}` : '';
  if (text.length <= maxChars) {
    return { text, truncated: true, omittedChars: total - text.length };
  }
  // Size the marker first (its count can only shrink as the budget grows), so the result fits maxChars.
  const draft = `\n\n[… ${total.toLocaleString('en-US')} ${opts.unit ?? 'characters'} omitted${where} …]\n\n`;
  const budget = Math.max(0, maxChars - draft.length);
  const headLen = Math.ceil(budget * 0.6);
  const tailLen = budget - headLen;
  const omitted = total - headLen - tailLen;
  const marker = `\n\n[… ${omitted.toLocaleString('en-US')} ${opts.unit ?? 'characters'} omitted${where} …]\n\n`;
  return { text: text.slice(0, headLen) + marker + (tailLen ? text.slice(-tailLen) : ''), truncated: true, omittedChars: omitted };
}

/**
 * Shape a head and a tail excerpt of a stream (as kept by the sandbox daemon, `totalBytes` long in all) into
 * at most `maxChars`, with one marker where text was left out that says how much and where the rest is.
 */
export function capExcerpt(head: string, tail: string, totalBytes: number, maxChars: number, savedTo?: string): string {
  const shownBytes = Buffer.byteLength(head) + Buffer.byteLength(tail);
  if (shownBytes >= totalBytes && head.length + tail.length <= maxChars) return head + tail;
  const budget = Math.max(0, maxChars - 200);
  const h = head.slice(0, Math.min(head.length, Math.ceil(budget * 0.6)));
  const tLen = Math.min(tail.length, budget - h.length);
  const t = tLen > 0 ? tail.slice(tail.length - tLen) : '';
  const omitted = Math.max(0, totalBytes - Buffer.byteLength(h) - Buffer.byteLength(t));
  const where = savedTo ? `; the full output is in ${savedTo}` : '';
  return `${h}\n\n[… ${omitted.toLocaleString('en-US')} bytes omitted${where} …]\n\n${t}`;
}

/** Cut `text` to at most `max` characters, marking the cut with "…" (labels, summaries, one-line previews). */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
