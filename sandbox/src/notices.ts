// Notices the host adds to a tool result ("Note: …") are the server's own words. Those that report what the
// daemon observed are built here from checked numbers and names, never from text the sandbox sent.
import type { DaemonEvent } from '../daemon/protocol.js';

const mib = (n: number) => `${Math.round(n / 1048576)} MiB`;
/** A kernel command name (TASK_COMM_LEN 16): printable, no spaces at the ends. */
const COMM = /^[\x21-\x7e][\x20-\x7e]{0,14}$/;
const MAX_LISTED = 10;

/** `what` (a file name the agent chose) is shown only when printable, bounded and under one of the quota folders. */
function fileUnder(file: string, dirs: string[]): string | null {
  if (file.length > 512 || /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(file)) return null;
  const clean = file.replace(/ \(deleted\)$/, '');
  if (clean.split('/').includes('..')) return null;
  return dirs.some((d) => clean.startsWith(d + '/')) ? file : null;
}

/** The quota-breach notice, or null when the event does not describe one (usage not over the quota we set). */
export function quotaNotice(e: Extract<DaemonEvent, { ev: 'quota' }>, ours: { quotaBytes: number; dirs: string[] }): string | null {
  if (!ours.quotaBytes || e.quotaBytes !== ours.quotaBytes || e.usedBytes <= ours.quotaBytes) return null;
  const stopped = e.stopped.slice(0, MAX_LISTED).map((s) => {
    const comm = COMM.test(s.comm) ? s.comm : 'a process';
    const file = fileUnder(s.file, ours.dirs);
    return `${comm} (pid ${s.pid})${file ? ` → ${file}` : ''}`;
  });
  const more = e.stopped.length > MAX_LISTED ? ` and ${e.stopped.length - MAX_LISTED} more` : '';
  return (
    `disk quota exceeded: ${ours.dirs.join(' and ')} hold ${mib(e.usedBytes)}, over the sandbox's ${mib(ours.quotaBytes)} quota` +
    (stopped.length ? `; stopped what was writing there: ${stopped.join(', ')}${more}` : '') +
    '. Writes fail with ENOSPC until files are deleted (or sandbox_reset).'
  );
}
