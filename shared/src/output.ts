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
  const budget = Math.max(0, maxChars - 200);
  const headLen = Math.ceil(budget * 0.6);
  const tailLen = budget - headLen;
  const omitted = total - headLen - tailLen;
  const marker = `\n\n[… ${omitted.toLocaleString('en-US')} ${opts.unit ?? 'characters'} omitted${where} …]\n\n`;
  return { text: text.slice(0, headLen) + marker + (tailLen ? text.slice(-tailLen) : ''), truncated: true, omittedChars: omitted };
}

/** Join a head and a tail excerpt of a stream (as returned by the sandbox daemon) with a marker between. */
export function joinExcerpt(head: string, tail: string, totalBytes: number, savedTo?: string): string {
  const shown = Buffer.byteLength(head) + Buffer.byteLength(tail);
  if (shown >= totalBytes) return head + tail;
  const where = savedTo ? `; the full output is in ${savedTo}` : '';
  return `${head}\n\n[… ${(totalBytes - shown).toLocaleString('en-US')} bytes omitted${where} …]\n\n${tail}`;
}
