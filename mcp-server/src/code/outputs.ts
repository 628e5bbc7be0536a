// What a code_run answer becomes for the model: host-worded status and notices, capped streams, a traceback trimmed
// to the user's frames, and figures re-checked whole as PNGs (image-check.ts: chunks, CRCs, pixel data) before they are shown,
// downscaled like screenshots. The answer comes from the driver, which runs as the agent: nothing here trusts it.
import type { CodeDisplay, CodeRunResult, CodeStream } from '@suna/sandbox';
import { verifyPng } from '../image-check.js';

export const MAX_IMAGE_SIDE = 1568;
/** A figure above this size is re-encoded by the downscaler even when its sides fit (the result stays < 1 MB). */
const REENCODE_BYTES = 600 * 1024;
const TRACEBACK_CHARS = 3000;

export interface CheckedPng {
  bytes: Buffer;
  width: number;
  height: number;
}

/** A complete, well-formed PNG (image-check.ts) whose size agrees with what was claimed; null for anything else. */
export function checkPng(base64: string, claimed: { width: number; height: number }, maxBytes: number): CheckedPng | null {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length > maxBytes) return null;
  const header = verifyPng(bytes);
  if (!header || header.width !== claimed.width || header.height !== claimed.height) return null;
  return { bytes, ...header };
}

/** Head and tail of a stream with a marker saying how much was left out (the driver counts characters). */
export function streamText(s: CodeStream, maxChars: number): string {
  const shown = s.head.length + s.tail.length;
  if (s.total <= shown && shown <= maxChars) return s.head + s.tail;
  const budget = Math.max(200, maxChars - 100);
  const head = s.head.slice(0, Math.ceil(budget * 0.6));
  const tail = s.tail.slice(Math.max(0, s.tail.length - (budget - head.length)));
  const omitted = Math.max(0, s.total - head.length - tail.length);
  return `${head}\n\n[… ${omitted.toLocaleString('en-US')} characters omitted …]\n\n${tail}`;
}

/** How IPython names a frame of the user's cell: "Cell In[3], line 2" (IPython 8.6+), "Cell In [3], line 2" (8.5). */
const CELL_FRAME = /Cell In ?\[\d+\], line (\d+)/;

/** The line of the user's cell the error points at, if any (the innermost frame in the cell). */
export function userLine(traceback: string): number | null {
  const all = [...traceback.matchAll(new RegExp(CELL_FRAME, 'g'))];
  const last = all.at(-1);
  return last ? Number(last[1]) : null;
}

/** The traceback cut to what helps: the user's frames in full, library frames as their first line, the error. */
export function trimTraceback(traceback: string): string {
  const blocks = traceback
    .split(/\n\s*\n/)
    .map((b) => b.replace(/^-{10,}\n/, '').trimEnd())
    .filter(Boolean);
  const kept = blocks.map((b, i) => {
    if (i === blocks.length - 1 || CELL_FRAME.test(b.split('\n').slice(0, 2).join('\n'))) return b;
    const first = b.split('\n');
    // A library frame: where it is, not its source (the header line of the first block stays with it).
    return /Traceback \(most recent call last\)/.test(first[0]!) ? first.slice(0, 2).join('\n') : first[0]!;
  });
  const text = kept.join('\n');
  return text.length <= TRACEBACK_CHARS ? text : `${text.slice(0, 800)}\n[… traceback shortened …]\n${text.slice(text.length - (TRACEBACK_CHARS - 850))}`;
}

/** Host-worded notices for a kernel that started afresh during the call. */
export function restartNotice(r: Pick<CodeRunResult, 'restart' | 'status' | 'oomKilled'>, memoryMb: number): string | null {
  const lost = 'variables, imports and open files from earlier calls are gone';
  if (r.oomKilled && (r.restart || r.status === 'died')) return `the Python kernel ran out of memory (the sandbox limit is ${memoryMb} MiB) and was stopped; the sandbox itself kept running. It starts afresh on the next call: ${lost}.`;
  if (r.restart === 'unresponsive') return `the code did not stop when interrupted, so the Python kernel was restarted: ${lost}.`;
  if (r.restart === 'driver') return `the code interpreter's process had stopped or misbehaved and was restarted: ${lost}.`;
  if (r.status === 'died') return `the Python kernel died while running this code (killed, or out of memory); it starts afresh on the next call: ${lost}.`;
  if (r.restart === 'died') return `the Python kernel had stopped since the last call (killed, or out of memory) and was restarted: ${lost}.`;
  return null;
}

export function statusLine(r: CodeRunResult, seconds: string, timeoutS: number): string {
  const cell = r.executionCount !== null ? `[${r.executionCount}] ` : '';
  switch (r.status) {
    case 'ok':
      return `${cell}ok · ${seconds} s`;
    case 'error': {
      const line = r.error ? userLine(r.error.traceback) : null;
      return `${cell}error: ${r.error?.ename || 'exception'}${line ? ` at line ${line} of your code` : ''} · ${seconds} s`;
    }
    case 'timeout':
      return `${cell}timed out after ${timeoutS} s: interrupted with KeyboardInterrupt${r.restart ? '' : '; variables defined so far are kept'}`;
    case 'cancelled':
      return `${cell}cancelled: interrupted with KeyboardInterrupt`;
    case 'died':
      return `${cell}the kernel stopped while running this code`;
  }
}

export type ShownDisplay = { kind: 'text'; text: string } | { kind: 'image'; image: CheckedPng; path: string | null } | { kind: 'rejected' };

/** Each display checked: text as is, images only as valid PNGs. */
export function checkDisplays(displays: CodeDisplay[], maxImageBytes: number): ShownDisplay[] {
  return displays.map((d) => {
    if (d.kind === 'text') return d;
    const image = checkPng(d.data, d, maxImageBytes);
    return image ? { kind: 'image', image, path: d.path } : { kind: 'rejected' };
  });
}

/** Whether a figure must go through the downscaler before it is shown. */
export const needsDownscale = (img: CheckedPng) => img.width > MAX_IMAGE_SIDE || img.height > MAX_IMAGE_SIDE || img.bytes.length > REENCODE_BYTES;
