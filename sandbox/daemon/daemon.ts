// The in-sandbox daemon: one long-lived Node process per sandbox, reached over the stdin/stdout of a single
// attached `docker exec`. It runs commands (each in its own process group), keeps background processes
// with buffered output, does file operations confined to the workspace, and relays TCP tunnels.
// Bundled by esbuild into one CommonJS file and started with `node -e` (no file in the image to go stale).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import * as readline from 'node:readline';
import ignore, { type Ignore } from 'ignore';
import {
  DAEMON_PROTOCOL_VERSION,
  DaemonErrorCodes as E,
  type DaemonEvent,
  type DaemonOps,
  type DaemonRequest,
  type ExecArgs,
  type ExecResult,
  type FileEntry,
  type ManifestEntry,
  type ProcessInfo,
  type StreamCapture,
} from './protocol.js';

const WORKSPACE = process.env.SUNA_WORKSPACE || '/workspace';
const PROCESS_BUFFER_BYTES = 1024 * 1024; // retained output per background process
const MAX_PROCESSES = 64;
const KILL_GRACE_MS = 1000;

process.title = 'suna-daemon';

class DaemonError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

// ---------- output to host ----------
function send(msg: unknown): void {
  process.stdout.write(JSON.stringify(msg) + '\n');
}
function emit(ev: DaemonEvent): void {
  send(ev);
}

// ---------- helpers ----------
const b64 = (buf: Buffer) => buf.toString('base64');

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM the whole group, then SIGKILL whatever ignored it; resolves when the group is gone (or killed). */
async function terminateGroup(pid: number, graceMs = KILL_GRACE_MS): Promise<void> {
  if (!pid) return;
  killGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  if (groupAlive(pid)) killGroup(pid, 'SIGKILL');
}

function oomKillCount(): number {
  for (const file of ['/sys/fs/cgroup/memory.events', '/sys/fs/cgroup/memory/memory.oom_control']) {
    try {
      const m = /oom_kill (\d+)/.exec(fs.readFileSync(file, 'utf8'));
      if (m) return Number(m[1]);
    } catch {
      /* try the next layout */
    }
  }
  return -1;
}

/** Make the commands, not the daemon, the OOM killer's first choice. */
function preferForOom(pid: number | undefined): void {
  if (pid) fs.writeFile(`/proc/${pid}/oom_score_adj`, '800', () => {});
}

// ---------- workspace containment (second half of the path policy; the host normalises first) ----------
let workspaceReal = WORKSPACE;
function isInside(p: string): boolean {
  return p === workspaceReal || p.startsWith(workspaceReal + '/');
}

/** Resolve symlinks of the deepest existing ancestor and refuse anything that lands outside the workspace. */
async function confine(p: string, { followLast = true } = {}): Promise<string> {
  if (typeof p !== 'string' || !path.isAbsolute(p) || p.includes('\0')) throw new DaemonError(E.badRequest, 'bad path');
  const normal = path.normalize(p);
  if (!isInside(normal) && normal !== WORKSPACE && !normal.startsWith(WORKSPACE + '/')) throw new DaemonError(E.outside, 'path is outside the workspace');
  let probe = followLast ? normal : path.dirname(normal);
  const rest: string[] = followLast ? [] : [path.basename(normal)];
  for (;;) {
    try {
      const real = await fsp.realpath(probe);
      const full = rest.length ? path.join(real, ...rest) : real;
      if (!isInside(full)) throw new DaemonError(E.outside, 'path resolves (through a symlink) outside the workspace');
      return full;
    } catch (err) {
      if (err instanceof DaemonError) throw err;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || probe === '/') throw err;
      rest.unshift(path.basename(probe));
      probe = path.dirname(probe);
    }
  }
}

// ---------- disk quota ----------
// Docker volumes on overlay2/ext4 have no size limit (`--storage-opt size` needs xfs + pquota; the local volume
// driver cannot loop-mount an image; a tmpfs volume is RAM and is emptied when the container stops), so the
// daemon watches the writable volumes itself. Every 250 ms it reads the free space of the filesystem under them
// (one statfs); `du` runs again only when usage measured by the last `du` plus the free space lost since then
// crosses the quota (once over it: when more is written), and once a minute. Usage counts deleted files that
// are still held open. Over the quota, every process with a file under those folders open for writing is killed
// with its process group, the host is told (a notice in the tool result), and `write` answers ENOSPC until files
// are deleted. Overshoot is bounded by what a writer manages in one tick.
const QUOTA_BYTES = Math.max(0, Number(process.env.SUNA_DISK_QUOTA_MB) || 0) * 1024 * 1024;
const QUOTA_DIRS = (process.env.SUNA_DISK_QUOTA_PATHS || WORKSPACE).split(':').filter(Boolean);
const QUOTA_TICK_MS = 250;
const disk = { used: 0, freeAtMeasure: 0, measuredAt: 0, duMs: 0, over: false, measuring: null as Promise<void> | null };
const mib = (n: number) => `${Math.round(n / 1048576)} MiB`;

function freeBytes(): number {
  try {
    const s = fs.statfsSync(QUOTA_DIRS[0]!);
    return s.bavail * s.bsize;
  } catch {
    return disk.freeAtMeasure;
  }
}

/** The daemon's own process group (never killed by the watchdog). */
function ownPgid(): number {
  try {
    return Number(/^\d+ \(.*\) \S+ \d+ (\d+)/s.exec(fs.readFileSync('/proc/self/stat', 'utf8'))?.[1] ?? process.pid);
  } catch {
    return process.pid;
  }
}

const underQuotaDirs = (p: string) => QUOTA_DIRS.some((d) => p === d || p.startsWith(d + '/'));

/** Open files under the quota folders, per process (not this daemon): who writes, and deleted-but-open files. */
function openFiles(): { writers: { pid: number; pgid: number; comm: string; file: string }[]; deletedBytes: number } {
  const writers: { pid: number; pgid: number; comm: string; file: string }[] = [];
  const seen = new Set<string>();
  let deletedBytes = 0;
  let pids: string[] = [];
  try {
    pids = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n) && Number(n) !== process.pid);
  } catch {
    /* no procfs */
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    let writing: string | null = null;
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (!target.startsWith('/') || !underQuotaDirs(target.replace(/ \(deleted\)$/, ''))) continue;
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

function du(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('du', ['-sxcB1', '--', ...QUOTA_DIRS], { stdio: ['ignore', 'pipe', 'ignore'] });
    const stuck = setTimeout(() => child.kill('SIGKILL'), 60_000); // never let one measurement block the writes
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    child.on('error', () => (clearTimeout(stuck), resolve(disk.used)));
    child.on('close', () => (clearTimeout(stuck), resolve(Number(/(\d+)\s+total\s*$/.exec(out)?.[1] ?? disk.used))));
  });
}

/** Measure (one at a time) and enforce: kill whoever writes under the quota folders while over it. */
function measureDisk(): Promise<void> {
  disk.measuring ??= (async () => {
    const free = freeBytes();
    const started = Date.now();
    const used = await du();
    disk.duMs = Date.now() - started;
    const { writers, deletedBytes } = openFiles();
    disk.used = used + deletedBytes;
    disk.freeAtMeasure = free;
    disk.measuredAt = Date.now();
    const wasOver = disk.over;
    disk.over = disk.used > QUOTA_BYTES;
    if (!disk.over) return;
    const killed = writers.filter((w) => w.pgid > 1 && w.pgid !== ownPgid());
    for (const w of killed) killGroup(w.pgid, 'SIGKILL');
    if (killed.length || !wasOver)
      emit({
        ev: 'log',
        message:
          `disk quota exceeded: ${QUOTA_DIRS.join(' and ')} hold ${mib(disk.used)}, over the sandbox's ${mib(QUOTA_BYTES)} quota` +
          (killed.length ? `; stopped what was writing there: ${killed.map((w) => `${w.comm} (pid ${w.pid}) → ${w.file}`).join(', ')}` : '') +
          '. Writes fail with ENOSPC until files are deleted (or sandbox_reset).',
      });
  })().finally(() => (disk.measuring = null));
  return disk.measuring;
}

const diskEstimate = () => disk.used + Math.max(0, disk.freeAtMeasure - freeBytes());

function watchDisk(): void {
  if (!QUOTA_BYTES) return;
  const tick = async () => {
    const since = Date.now() - disk.measuredAt;
    const grew = diskEstimate() - disk.used; // what the filesystem lost since the last measurement
    // Measure when the estimate crosses the quota (or, once over it, whenever more is written: a new writer to
    // stop), and now and then anyway. A big workspace makes `du` slow: never spend over a fifth of the time in it.
    const due = since > (disk.over ? 10_000 : 60_000) || (since > disk.duMs * 4 && (disk.over ? grew > 1024 * 1024 : disk.used + grew > QUOTA_BYTES));
    if (due) await measureDisk().catch(() => {});
    setTimeout(tick, QUOTA_TICK_MS).unref();
  };
  void tick();
}

/** ENOSPC for a daemon write that would take the sandbox over its quota. */
async function checkQuota(adding: number): Promise<void> {
  if (!QUOTA_BYTES || (!disk.over && diskEstimate() + adding <= QUOTA_BYTES)) return;
  await measureDisk();
  if (disk.used + adding > QUOTA_BYTES)
    throw new DaemonError('ENOSPC', `disk quota exceeded: the sandbox holds ${mib(disk.used)} of its ${mib(QUOTA_BYTES)} quota; delete files first`);
}

// ---------- exec ----------
class Capture {
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  total = 0;
  constructor(private readonly half: number) {}
  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.headBytes < this.half) {
      const take = chunk.subarray(0, this.half - this.headBytes);
      this.head.push(take);
      this.headBytes += take.length;
      chunk = chunk.subarray(take.length);
    }
    if (!chunk.length) return;
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
    while (this.tailBytes - this.tail[0]!.length >= this.half) this.tailBytes -= this.tail.shift()!.length;
  }
  result(): StreamCapture {
    let tail = Buffer.concat(this.tail);
    if (tail.length > this.half) tail = tail.subarray(tail.length - this.half);
    return { head: b64(Buffer.concat(this.head)), tail: b64(tail), totalBytes: this.total };
  }
}

/** Writes the whole interleaved output to a file once it outgrows the in-memory cap. */
class Spill {
  private fd: number | null = null;
  private written = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  active = false;
  constructor(private readonly file: string | undefined, private readonly threshold: number, private readonly max: number) {}
  push(chunk: Buffer): void {
    if (!this.file) return;
    if (!this.active) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes <= this.threshold) return;
      try {
        fs.mkdirSync(path.dirname(this.file), { recursive: true });
        this.fd = fs.openSync(this.file, 'w', 0o644);
        this.active = true;
      } catch {
        this.file && (this.pending = []);
        return;
      }
      const all = Buffer.concat(this.pending);
      this.pending = [];
      this.write(all);
      return;
    }
    this.write(chunk);
  }
  private write(buf: Buffer): void {
    if (this.fd === null || this.written >= this.max) return;
    const part = buf.subarray(0, this.max - this.written);
    fs.writeSync(this.fd, part);
    this.written += part.length;
    if (this.written >= this.max) fs.writeSync(this.fd, Buffer.from(`\n[suna: output file capped at ${this.max} bytes]\n`));
  }
  close(): string | undefined {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.pending = [];
    return this.active ? this.file : undefined;
  }
}

const runningExecs = new Map<string, { pid: number; cancel: () => void }>();

function spawnCommand(a: { command?: string; argv?: string[]; cwd: string; env?: Record<string, string> }): ChildProcess {
  const env = { ...process.env, ...(a.env ?? {}) };
  for (const k of ['SUNA_WORKSPACE', 'SUNA_DISK_QUOTA_MB', 'SUNA_DISK_QUOTA_PATHS']) delete env[k];
  const [file, args] = a.argv?.length ? [a.argv[0]!, a.argv.slice(1)] : ['/bin/bash', ['-c', a.command ?? '']];
  // detached → its own process group, so a timeout or cancel kills every descendant.
  return spawn(file, args, { cwd: a.cwd, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
}

async function execOp(a: ExecArgs & { execId: string }): Promise<ExecResult> {
  const cwd = await confine(a.cwd);
  const started = Date.now();
  const oomBefore = oomKillCount();
  const half = Math.max(1024, Math.floor(a.capBytes / 2));
  const out = new Capture(half);
  const err = new Capture(half);
  const spill = new Spill(a.spillPath, a.capBytes, a.spillMaxBytes ?? 64 * 1024 * 1024);
  let timedOut = false;
  let cancelled = false;
  let terminating: Promise<void> = Promise.resolve();

  const child = spawnCommand({ ...a, cwd });
  preferForOom(child.pid);
  child.stdin!.on('error', () => {});
  if (a.stdin) child.stdin!.end(a.stdin);
  else child.stdin!.end();
  child.stdout!.on('data', (c: Buffer) => (out.push(c), spill.push(c)));
  child.stderr!.on('data', (c: Buffer) => (err.push(c), spill.push(c)));

  const pid = child.pid ?? 0;
  const timer = setTimeout(() => {
    timedOut = true;
    terminating = terminateGroup(pid);
  }, a.timeoutMs);
  runningExecs.set(a.execId, {
    pid,
    cancel: () => {
      cancelled = true;
      terminating = terminateGroup(pid, 300);
    },
  });

  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c, s) => {
      // A background grandchild may keep the pipes open: give them a moment to drain, then stop waiting.
      const done = () => resolve([c, s]);
      if (child.stdout!.readableEnded && child.stderr!.readableEnded) return done();
      const t = setTimeout(() => {
        child.stdout!.destroy();
        child.stderr!.destroy();
        done();
      }, 100);
      child.once('close', () => (clearTimeout(t), done()));
    });
  }).finally(() => {
    clearTimeout(timer);
    runningExecs.delete(a.execId);
  });
  // A timed-out or cancelled command is reported only once nothing of its process group is left.
  await terminating;
  const oomAfter = oomKillCount();
  return {
    exitCode: code,
    signal,
    stdout: out.result(),
    stderr: err.result(),
    durationMs: Date.now() - started,
    timedOut,
    cancelled,
    oomKilled: oomBefore >= 0 && oomAfter > oomBefore,
    spilledTo: spill.close(),
  };
}

// ---------- background processes ----------
interface Proc {
  info: ProcessInfo;
  child: ChildProcess;
  chunks: Buffer[];
  baseOffset: number; // absolute offset of chunks[0]
  waiters: Set<() => void>;
}
const procs = new Map<string, Proc>();
let procCounter = 0;

function wake(p: Proc): void {
  for (const w of p.waiters) w();
  p.waiters.clear();
}

async function startOp(a: DaemonOps['start'][0]): Promise<ProcessInfo> {
  const cwd = await confine(a.cwd);
  if ([...procs.values()].filter((p) => p.info.running).length >= MAX_PROCESSES)
    throw new DaemonError(E.tooMany, `too many background processes (${MAX_PROCESSES}); stop some with shell_kill`);
  // Forget the oldest finished ones to keep memory bounded.
  for (const [id, p] of procs) if (procs.size >= MAX_PROCESSES && !p.info.running) procs.delete(id);
  const child = spawnCommand({ command: a.command, cwd, env: a.env });
  preferForOom(child.pid);
  const processId = `p${++procCounter}`;
  const p: Proc = {
    info: {
      processId,
      name: a.name || a.command.slice(0, 60),
      command: a.command,
      pid: child.pid ?? 0,
      running: true,
      exitCode: null,
      signal: null,
      startedAt: Date.now(),
      outputBytes: 0,
    },
    child,
    chunks: [],
    baseOffset: 0,
    waiters: new Set(),
  };
  const onData = (c: Buffer) => {
    p.chunks.push(c);
    p.info.outputBytes += c.length;
    let kept = p.info.outputBytes - p.baseOffset;
    while (kept > PROCESS_BUFFER_BYTES && p.chunks.length > 1) {
      const dropped = p.chunks.shift()!;
      p.baseOffset += dropped.length;
      kept -= dropped.length;
    }
    wake(p);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  child.stdin!.on('error', () => {});
  child.on('error', (e) => onData(Buffer.from(`[suna: failed to start: ${e.message}]\n`)));
  child.on('exit', (code, signal) => {
    p.info.running = false;
    p.info.exitCode = code;
    p.info.signal = signal;
    setTimeout(() => wake(p), 50); // let the last output arrive first
  });
  procs.set(processId, p);
  return p.info;
}

function getProc(id: string): Proc {
  const p = procs.get(id);
  if (!p) throw new DaemonError(E.noProcess, `no process ${id}`);
  return p;
}

/** Up to `max` bytes starting `skip` bytes into the chunk list, copying only those (polls run often). */
function sliceChunks(chunks: Buffer[], skip: number, max: number): Buffer {
  const parts: Buffer[] = [];
  let left = max;
  for (const c of chunks) {
    if (left <= 0) break;
    if (skip >= c.length) {
      skip -= c.length;
      continue;
    }
    const part = c.subarray(skip, skip + left);
    skip = 0;
    left -= part.length;
    parts.push(part);
  }
  return Buffer.concat(parts);
}

async function outputOp(a: DaemonOps['output'][0]): Promise<DaemonOps['output'][1]> {
  const p = getProc(a.processId);
  const want = Math.max(0, a.offset ?? 0);
  if (want >= p.info.outputBytes && p.info.running && (a.waitMs ?? 0) > 0) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => (p.waiters.delete(done), resolve()), a.waitMs);
      const done = () => (clearTimeout(t), resolve());
      p.waiters.add(done);
    });
  }
  const from = Math.min(Math.max(want, p.baseOffset), p.info.outputBytes);
  const data = sliceChunks(p.chunks, from - p.baseOffset, a.maxBytes ?? 256 * 1024);
  return {
    data: b64(data),
    offset: from,
    nextOffset: from + data.length,
    droppedBytes: Math.max(0, p.baseOffset - want),
    running: p.info.running,
    exitCode: p.info.exitCode,
    signal: p.info.signal,
  };
}

// ---------- files ----------
function typeOf(st: fs.Stats): FileEntry['type'] {
  return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
}

async function readOp(a: DaemonOps['read'][0]): Promise<DaemonOps['read'][1]> {
  const p = await confine(a.path);
  const fh = await fsp.open(p, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new DaemonError(E.isDir, 'is a directory');
    const offset = a.offset ?? 0;
    const len = Math.max(0, Math.min(a.maxBytes, st.size - offset));
    const buf = Buffer.alloc(len);
    const { bytesRead } = await fh.read(buf, 0, len, offset);
    return { data: b64(buf.subarray(0, bytesRead)), size: st.size, truncated: offset + bytesRead < st.size };
  } finally {
    await fh.close();
  }
}

async function writeOp(a: DaemonOps['write'][0]): Promise<DaemonOps['write'][1]> {
  const p = await confine(a.path, { followLast: false });
  const dir = path.dirname(p);
  if (a.mkdirs) await fsp.mkdir(dir, { recursive: true });
  const existing = await fsp.lstat(p).catch(() => null);
  if (existing?.isDirectory()) throw new DaemonError(E.isDir, 'is a directory');
  if (existing && a.exclusive) throw new DaemonError(E.exists, 'already exists');
  // Write a temp file then rename: a failed write never leaves a half-written file, and a symlink at the
  // destination is replaced rather than followed.
  const tmp = path.join(dir, `.${path.basename(p)}.suna-${process.pid}-${Date.now()}.tmp`);
  const data = Buffer.from(a.data, 'base64');
  await checkQuota(data.length - (existing?.isFile() ? existing.size : 0));
  try {
    await fsp.writeFile(tmp, data, { mode: a.mode ?? (existing?.isFile() ? existing.mode & 0o777 : 0o644), flag: 'wx' });
    await fsp.rename(tmp, p);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  return { bytes: data.length, created: !existing };
}

async function statOp(a: { path: string }): Promise<DaemonOps['stat'][1]> {
  const p = await confine(a.path, { followLast: false });
  const st = await fsp.lstat(p).catch(() => null);
  if (!st) return null;
  let s = st;
  if (st.isSymbolicLink()) {
    await confine(a.path); // a link that leaves the workspace is refused, not described
    s = await fsp.stat(p);
  }
  return { path: a.path, type: typeOf(s), size: s.size, mtimeMs: s.mtimeMs, mode: s.mode };
}

async function manifestOp(a: DaemonOps['manifest'][0]): Promise<DaemonOps['manifest'][1]> {
  const listing = await listdirOp({ path: a.path, depth: 64, maxEntries: a.maxEntries, respectIgnore: a.respectIgnore });
  const root = await confine(a.path);
  const exclude = a.exclude ?? [];
  const maxFileBytes = a.maxFileBytes ?? 50 * 1024 * 1024;
  const entries: ManifestEntry[] = [];
  const skipped: string[] = [];
  for (const e of listing.entries) {
    if (exclude.some((x) => e.path === x || e.path.startsWith(x.endsWith('/') ? x : x + '/'))) continue;
    const full = path.join(root, e.path);
    const st = await fsp.lstat(full).catch(() => null);
    if (!st) continue;
    if (st.isSymbolicLink()) {
      const target = await fsp.readlink(full);
      entries.push({ path: e.path, type: 'symlink', size: 0, mtimeMs: st.mtimeMs, mode: st.mode, sha256: createHash('sha256').update(target).digest('hex'), target });
    } else if (st.isFile()) {
      if (st.size > maxFileBytes) {
        skipped.push(e.path);
        continue;
      }
      const sha256 = createHash('sha256').update(await fsp.readFile(full)).digest('hex');
      entries.push({ path: e.path, type: 'file', size: st.size, mtimeMs: st.mtimeMs, mode: st.mode, sha256 });
    }
  }
  return { entries, truncated: listing.truncated, skipped };
}

async function listdirOp(a: DaemonOps['listdir'][0]): Promise<DaemonOps['listdir'][1]> {
  const root = await confine(a.path);
  const entries: FileEntry[] = [];
  let truncated = false;
  const rootIgnore = a.respectIgnore ? await loadIgnore(root, ignore()) : null;

  async function walk(dir: string, rel: string, depth: number, ig: Ignore | null): Promise<void> {
    let names: fs.Dirent[];
    try {
      names = await fsp.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    names.sort((x, y) => x.name.localeCompare(y.name));
    for (const d of names) {
      if (entries.length >= a.maxEntries) {
        truncated = true;
        return;
      }
      const relPath = rel ? `${rel}/${d.name}` : d.name;
      const isDir = d.isDirectory();
      if (a.respectIgnore && d.name === '.git' && isDir) continue;
      if (ig && ig.ignores(isDir ? relPath + '/' : relPath)) continue;
      const type: FileEntry['type'] = d.isFile() ? 'file' : isDir ? 'dir' : d.isSymbolicLink() ? 'symlink' : 'other';
      let size = 0;
      if (type === 'file') size = (await fsp.stat(path.join(dir, d.name)).catch(() => ({ size: 0 }))).size;
      entries.push({ path: relPath, type, size });
      if (isDir && depth > 1) {
        const child = path.join(dir, d.name);
        await walk(child, relPath, depth - 1, ig && (await loadIgnore(child, ig, relPath)));
      }
    }
  }
  await walk(root, '', Math.max(1, a.depth), rootIgnore);
  return { entries, truncated };
}

/** Nested .gitignore files add rules relative to their directory; we re-root them to the listing root. */
async function loadIgnore(dir: string, parent: Ignore, relDir = ''): Promise<Ignore> {
  const text = await fsp.readFile(path.join(dir, '.gitignore'), 'utf8').catch(() => null);
  if (text === null) return parent;
  const ig = ignore().add(parent);
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (!relDir) {
      ig.add(line);
      continue;
    }
    const neg = line.startsWith('!');
    let pat = neg ? line.slice(1) : line;
    const anchored = pat.startsWith('/') || pat.replace(/\/$/, '').includes('/');
    pat = pat.replace(/^\//, '');
    ig.add(`${neg ? '!' : ''}${relDir}/${anchored ? '' : '**/'}${pat}`);
  }
  return ig;
}

async function removeOp(a: DaemonOps['remove'][0]): Promise<DaemonOps['remove'][1]> {
  const p = await confine(a.path, { followLast: false });
  if (p === workspaceReal) throw new DaemonError(E.badRequest, 'refusing to delete the workspace root; use sandbox_reset');
  const st = await fsp.lstat(p).catch(() => null);
  if (!st) throw new DaemonError(E.notFound, 'no such file or directory');
  if (st.isDirectory() && !a.recursive) {
    const inside = await fsp.readdir(p);
    if (inside.length) throw new DaemonError(E.notEmpty, 'directory is not empty; pass recursive: true to delete it and its contents');
    await fsp.rmdir(p);
  } else {
    await fsp.rm(p, { recursive: !!a.recursive, force: false }); // rm never follows symlinks
  }
  return { removed: true };
}

async function moveOp(a: DaemonOps['move'][0]): Promise<DaemonOps['move'][1]> {
  const from = await confine(a.from, { followLast: false });
  const to = await confine(a.to, { followLast: false });
  if (!(await fsp.lstat(from).catch(() => null))) throw new DaemonError(E.notFound, 'source does not exist');
  if (!a.overwrite && (await fsp.lstat(to).catch(() => null))) throw new DaemonError(E.exists, 'destination exists');
  await fsp.mkdir(path.dirname(to), { recursive: true });
  await fsp.rename(from, to);
  return { moved: true };
}

// ---------- tunnels ----------
const tunnels = new Map<string, net.Socket>();
function tunnelOpen(a: DaemonOps['tunnelOpen'][0]): Promise<{ opened: true }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port: a.port, host: a.host ?? '127.0.0.1' });
    sock.once('connect', () => {
      tunnels.set(a.tunnelId, sock);
      sock.on('data', (d: Buffer) => emit({ ev: 'tunnelData', tunnelId: a.tunnelId, data: b64(d) }));
      resolve({ opened: true });
    });
    sock.once('error', (e) => {
      if (!tunnels.has(a.tunnelId)) reject(new DaemonError('ECONNREFUSED', `nothing listens on port ${a.port} in the sandbox (${e.message})`));
    });
    sock.once('close', () => {
      if (tunnels.delete(a.tunnelId)) emit({ ev: 'tunnelClosed', tunnelId: a.tunnelId });
    });
  });
}

// ---------- dispatch ----------
type Handlers = { [K in keyof DaemonOps]: (a: DaemonOps[K][0]) => Promise<DaemonOps[K][1]> | DaemonOps[K][1] };
const handlers: Handlers = {
  hello: () => ({ version: DAEMON_PROTOCOL_VERSION, pid: process.pid, uid: process.getuid?.() ?? -1, node: process.version, workspace: workspaceReal }),
  exec: execOp,
  cancel: (a) => {
    const e = runningExecs.get(a.execId);
    e?.cancel();
    return { found: !!e };
  },
  start: startOp,
  output: outputOp,
  input: (a) => {
    const p = getProc(a.processId);
    if (!p.info.running) throw new DaemonError(E.noProcess, `process ${a.processId} has exited`);
    const buf = Buffer.from(a.data, 'base64');
    p.child.stdin!.write(buf);
    return { written: buf.length };
  },
  kill: (a) => {
    const p = getProc(a.processId);
    if (p.info.running) {
      const sig = (a.signal ?? 'SIGTERM') as NodeJS.Signals;
      if (sig === 'SIGTERM') void terminateGroup(p.info.pid);
      else killGroup(p.info.pid, sig);
    }
    return p.info;
  },
  list: () => [...procs.values()].map((p) => p.info),
  read: readOp,
  write: writeOp,
  stat: statOp,
  listdir: listdirOp,
  manifest: manifestOp,
  remove: removeOp,
  move: moveOp,
  mkdir: async (a) => {
    const p = await confine(a.path, { followLast: false });
    const created = await fsp.mkdir(p, { recursive: true });
    return { created: created !== undefined };
  },
  tunnelOpen,
  tunnelWrite: (a) => {
    const s = tunnels.get(a.tunnelId);
    if (!s) throw new DaemonError(E.notFound, 'tunnel closed');
    s.write(Buffer.from(a.data, 'base64'));
    return { ok: true };
  },
  tunnelClose: (a) => {
    tunnels.get(a.tunnelId)?.destroy();
    tunnels.delete(a.tunnelId);
    return { ok: true };
  },
};

async function handle(req: DaemonRequest): Promise<void> {
  try {
    const fn = handlers[req.op] as ((a: unknown) => unknown) | undefined;
    if (!fn) throw new DaemonError(E.badRequest, `unknown op ${String(req.op)}`);
    send({ id: req.id, ok: true, result: await fn(req.args ?? {}) });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    send({ id: req.id, ok: false, error: { code: String(e.code ?? 'ERROR'), message: e.message } });
  }
}

async function main(): Promise<void> {
  workspaceReal = await fsp.realpath(WORKSPACE).catch(() => WORKSPACE);
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on('line', (line) => {
    if (!line.trim()) return;
    let req: DaemonRequest;
    try {
      req = JSON.parse(line);
    } catch {
      return emit({ ev: 'log', message: 'unparseable request' });
    }
    void handle(req);
  });
  // The host went away: stop everything we started, then exit.
  rl.on('close', () => {
    for (const p of procs.values()) if (p.info.running) killGroup(p.info.pid, 'SIGKILL');
    for (const e of runningExecs.values()) killGroup(e.pid, 'SIGKILL');
    setTimeout(() => process.exit(0), 50);
  });
  process.stdout.on('error', () => process.exit(0));
  watchDisk();
}
void main();
