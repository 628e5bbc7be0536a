// rsync as the store program runs it for whole trees: a first checkpoint, the fallback for a tree too large to
// walk, and a restore. Item codes and --stats are counted as they stream; no name the agent chose is parsed here.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { EXCLUDES, type Root } from './layout.js';

export interface CopyStats {
  /** Entries in the copied tree (its root not counted), regular-file bytes, and bytes not linked from the basis. */
  files: number;
  totalBytes: number;
  addedBytes: number;
  /** Items rsync reported as new or different from the basis (--link-dest) tree, and how many of them are new paths. */
  changed: number;
  added: number;
  warnings: string[];
}

const ITEM = /^[<>ch.][fdLDS][.+?cstpoguax]{9}$/;
const stat = (text: string, label: string) => Number(new RegExp(`^${label}: ([\\d,]+)`, 'm').exec(text)?.[1]?.replace(/,/g, '') ?? NaN);

/**
 * rsync with --out-format=%i (item codes only: no names, so nothing the agent named is parsed here) and --stats.
 * Counting is streamed: a first checkpoint of 500,000 files prints 500,000 short lines. --modify-window=-1: mtimes
 * compare to the nanosecond, so a file rewritten with the same size within the same second as its checkpointed
 * copy still counts as changed (restore puts it back; the --link-dest fallback does not link the old one).
 */
export function rsync(args: string[], background = false): Promise<{ code: number; stderr: string; changed: number; added: number; stats: string }> {
  return new Promise((resolve, reject) => {
    const argv = ['/usr/bin/rsync', '--out-format=%i', '--stats', '--modify-window=-1', ...args];
    // Background work (the base) yields the CPU and the disk to everything else.
    const [cmd, ...rest] = background ? ['/usr/bin/nice', '-n', '19', '/usr/bin/ionice', '-c', '3', ...argv] : argv;
    const child = spawn(cmd!, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let partial = '';
    let stats = '';
    let changed = 0;
    let added = 0;
    const line = (l: string) => {
      if (!ITEM.test(l)) return void (!l.startsWith('*') && stats.length < 4000 && (stats += l + '\n'));
      const isNew = l.slice(2) === '+++++++++';
      if (isNew) added++;
      // A directory whose mtime moved is not a change of its own: its entries say what changed.
      if (l[1] === 'd' && !isNew && !/[pogax]/.test(l.slice(2))) return;
      changed++;
    };
    child.stdout.on('data', (d: Buffer) => {
      const parts = (partial + d.toString('latin1')).split('\n');
      partial = parts.pop()!.slice(-4000);
      parts.forEach(line);
    });
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code) => {
      if (partial) line(partial);
      resolve({ code: code ?? 1, stderr, changed, added, stats });
    });
  });
}

/** -a: recursive, symlinks as symlinks, modes, times, owner and group (numeric), specials. 24: files vanished while copying. */
export async function copyTree(from: string, to: string, root: Root, extra: string[], background = false): Promise<CopyStats> {
  const excludes = EXCLUDES[root].map((e) => `--exclude=/${e}`);
  mkdirSync(dirname(to), { recursive: true }); // rsync makes `to` itself: a directory made here would differ from the basis
  const r = await rsync(['-a', '--numeric-ids', '--no-inc-recursive', ...excludes, ...extra, '--', `${from}/`, `${to}/`], background);
  const warnings: string[] = [];
  if (r.code === 24 || r.code === 23) warnings.push(`${root}: some files changed or could not be read while copying (rsync ${r.code})`);
  else if (r.code !== 0) throw new Error(`rsync failed (${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
  const files = stat(r.stats, 'Number of files') - 1;
  const totalBytes = stat(r.stats, 'Total file size');
  const addedBytes = stat(r.stats, 'Total transferred file size');
  return { files: files >= 0 ? files : 0, totalBytes: totalBytes || 0, addedBytes: addedBytes || 0, changed: r.changed, added: r.added, warnings };
}
