// Disk quota of the writable volumes. Docker volumes on overlay2/ext4 have no size limit (`--storage-opt size`
// needs xfs + pquota; the local volume driver cannot loop-mount an image; a tmpfs volume is RAM and is emptied
// when the container stops), so the daemon watches them itself. Every 250 ms it reads the free space of the
// filesystem under them (one statfs); `du` runs again only when usage measured by the last `du` plus the free
// space lost since then crosses the quota (once over it: when more is written), and once a minute. Usage
// counts deleted files that are still held open. Over the quota, every process with a file under those folders
// open for writing is killed with its process group, the host is told (structured numbers it words itself),
// and `write` answers ENOSPC until files are deleted. Overshoot is bounded by what a writer manages in one tick.
// `du` runs as the user (root here has no DAC override to read the user's files), so a command could make one
// measurement lie low; the free-space estimate between measurements still counts every byte written.
import * as fs from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { killGroup } from './groups.js';
import { DaemonError } from './errors.js';
import type { QuotaStop } from './protocol.js';

const TICK_MS = 250;
const mib = (n: number) => `${Math.round(n / 1048576)} MiB`;

export interface DiskState {
  used: number; // bytes, as of the last measurement
  freeAtMeasure: number;
  measuredAt: number;
  duMs: number;
  over: boolean;
}

/** Usage now: the last measurement plus what the filesystem lost since then. */
export function estimateUsed(d: DiskState, freeNow: number): number {
  return d.used + Math.max(0, d.freeAtMeasure - freeNow);
}

/** Whether to run `du` again: the estimate crosses the quota (over it: more was written), or it is time anyway.
 *  A big workspace makes `du` slow: never spend over a fifth of the time in it. */
export function measurementDue(d: DiskState, now: number, freeNow: number, quotaBytes: number): boolean {
  const since = now - d.measuredAt;
  const grew = estimateUsed(d, freeNow) - d.used;
  return since > (d.over ? 10_000 : 60_000) || (since > d.duMs * 4 && (d.over ? grew > 1024 * 1024 : d.used + grew > quotaBytes));
}

/** Sum of `du -sxcB1` output; undefined when it printed no total. */
export function parseDuTotal(out: string): number | undefined {
  const m = /(\d+)\s+total\s*$/.exec(out);
  return m ? Number(m[1]) : undefined;
}

export interface Writer extends QuotaStop {
  pgid: number;
}

/** Open files under `dirs`, per process other than `selfPid`: who writes, and deleted-but-open bytes. */
export function openFiles(dirs: string[], selfPid: number): { writers: Writer[]; deletedBytes: number } {
  const under = (p: string) => dirs.some((d) => p === d || p.startsWith(d + '/'));
  const writers: Writer[] = [];
  const seen = new Set<string>();
  let deletedBytes = 0;
  let pids: string[] = [];
  try {
    pids = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n) && Number(n) !== selfPid);
  } catch {
    /* no procfs */
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to look at (root's)
    }
    let writing: string | null = null;
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!target.startsWith('/') || !under(target.replace(/ \(deleted\)$/, ''))) continue;
      try {
        if (target.endsWith(' (deleted)')) {
          const st = fs.statSync(`/proc/${pid}/fd/${fd}`);
          if (!seen.has(`${st.dev}:${st.ino}`)) (seen.add(`${st.dev}:${st.ino}`), (deletedBytes += st.blocks * 512));
        }
        const flags = parseInt(/flags:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))?.[1] ?? '0', 8);
        if (flags & 3) writing ??= target; // O_WRONLY or O_RDWR
      } catch {
        /* the fd closed meanwhile */
      }
    }
    if (!writing) continue;
    let stat = '';
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const m = /^\d+ \((.*)\) \S+ \d+ (\d+)/s.exec(stat);
    if (m) writers.push({ pid: Number(pid), pgid: Number(m[2]), comm: m[1]!, file: writing });
  }
  return { writers, deletedBytes };
}

function ownPgid(): number {
  try {
    return Number(/^\d+ \(.*\) \S+ \d+ (\d+)/s.exec(fs.readFileSync('/proc/self/stat', 'utf8'))?.[1] ?? process.pid);
  } catch {
    return process.pid;
  }
}

export interface QuotaDeps {
  quotaBytes: number;
  dirs: string[];
  /** Starts `du` (as the user, from the image, with a fixed environment). */
  spawnDu(args: string[]): Promise<ChildProcess>;
  /** Tells the host: usage, quota and what was stopped. */
  report(usedBytes: number, stopped: QuotaStop[]): void;
}

export class DiskQuota {
  private readonly disk: DiskState = { used: 0, freeAtMeasure: 0, measuredAt: 0, duMs: 0, over: false };
  private measuring: Promise<void> | null = null;
  /** The daemon's own process group, never killed by the watchdog (nor init's, 1). */
  private readonly ownGroup = ownPgid();

  constructor(private readonly deps: QuotaDeps) {}

  get enabled(): boolean {
    return this.deps.quotaBytes > 0;
  }

  private freeBytes(): number {
    try {
      const s = fs.statfsSync(this.deps.dirs[0]!);
      return s.bavail * s.bsize;
    } catch {
      return this.disk.freeAtMeasure;
    }
  }

  private async du(): Promise<number> {
    const child = await this.deps.spawnDu(['-sxcB1', '--', ...this.deps.dirs]).catch(() => null);
    if (!child) return this.disk.used;
    return new Promise((resolve) => {
      const stuck = setTimeout(() => child.kill('SIGKILL'), 60_000); // never let one measurement block the writes
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4096)));
      child.on('error', () => (clearTimeout(stuck), resolve(this.disk.used)));
      child.on('close', () => (clearTimeout(stuck), resolve(parseDuTotal(out) ?? this.disk.used)));
    });
  }

  /** Measure (one at a time) and enforce: kill whoever writes under the quota folders while over it. */
  measure(): Promise<void> {
    this.measuring ??= (async () => {
      const d = this.disk;
      const free = this.freeBytes();
      const started = Date.now();
      const used = await this.du();
      d.duMs = Date.now() - started;
      const { writers, deletedBytes } = openFiles(this.deps.dirs, process.pid);
      d.used = used + deletedBytes;
      d.freeAtMeasure = free;
      d.measuredAt = Date.now();
      const wasOver = d.over;
      d.over = d.used > this.deps.quotaBytes;
      if (!d.over) return;
      const stopped = writers.filter((w) => w.pgid > 1 && w.pgid !== this.ownGroup);
      for (const w of stopped) killGroup(w.pgid, 'SIGKILL');
      if (stopped.length || !wasOver) this.deps.report(d.used, stopped.map(({ pid, comm, file }) => ({ pid, comm, file })));
    })().finally(() => (this.measuring = null));
    return this.measuring;
  }

  watch(): void {
    if (!this.enabled) return;
    const tick = async () => {
      if (measurementDue(this.disk, Date.now(), this.freeBytes(), this.deps.quotaBytes)) await this.measure().catch(() => {});
      setTimeout(tick, TICK_MS).unref();
    };
    void tick();
  }

  /** ENOSPC for a daemon write that would take the sandbox over its quota. */
  async check(adding: number): Promise<void> {
    const q = this.deps.quotaBytes;
    if (!q || (!this.disk.over && estimateUsed(this.disk, this.freeBytes()) + adding <= q)) return;
    await this.measure();
    if (this.disk.used + adding > q) throw new DaemonError('ENOSPC', `disk quota exceeded: the sandbox holds ${mib(this.disk.used)} of its ${mib(q)} quota; delete files first`);
  }

  get usedBytes(): number {
    return this.disk.used;
  }
}
