// Who the daemon is and who its commands are. The container runs as root with CapAdd SETUID/SETGID/SETPCAP
// only (see containerSpec). The daemon keeps real and saved uid 0 but works with effective uid/gid 1000:
//  - file operations act as the user (files owned by 1000, normal permission checks: no DAC override);
//  - a user process cannot signal it (kill needs the sender's uid to match the target's real or saved uid),
//    nor ptrace it or open /proc/<daemon>/{fd,mem,environ} (every uid must match; and changing euid clears
//    "dumpable", so /proc/<daemon> belongs to root).
// Commands are started through /usr/bin/setpriv as uid/gid 1000 with no groups, no capabilities and an empty
// bounding set. That needs euid 0 for a moment around spawn(); glibc switches euid for every thread, so an fs
// call running in the libuv threadpool at that moment would act as root: `SpawnGate` holds spawns off until no fs
// call is in flight, and holds new fs calls while a spawn waits (spawn itself is synchronous).
// Left to a command: lowering the daemon's CPU/IO priority (setpriority matches the caller's euid against the
// target's euid), which slows it but gives no control over it.
// Without SUNA_RUN_AS (the `apt` profile, root inside by design) none of this applies: commands run as root.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export const SETPRIV = '/usr/bin/setpriv';
/** The daemon's own tools: only the read-only image, never a folder the user can write to. */
export const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Variables of the daemon's own start-up that commands must not see. */
const DAEMON_ONLY = ['SUNA_WORKSPACE', 'SUNA_DISK_QUOTA_MB', 'SUNA_DISK_QUOTA_PATHS', 'SUNA_RUN_AS', 'SUNA_USER_ENV', 'SUNA_SHARED_SOCKET'];

/** Holds spawns (which briefly need euid 0) off while fs calls are in flight, and fs calls while a spawn waits. */
export class SpawnGate {
  private active = 0;
  private spawnsWaiting = 0;
  private idle: (() => void)[] = [];
  private spawnDone: (() => void)[] = [];

  async shared<T>(fn: () => Promise<T>): Promise<T> {
    while (this.spawnsWaiting > 0) await new Promise<void>((r) => this.spawnDone.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      if (--this.active === 0) for (const wake of this.idle.splice(0)) wake();
    }
  }

  /** Runs the synchronous `fn` when no shared call is in flight (nothing else can start while it runs). */
  async exclusive<T>(fn: () => T): Promise<T> {
    this.spawnsWaiting++;
    try {
      while (this.active > 0) await new Promise<void>((r) => this.idle.push(r));
      return fn();
    } finally {
      if (--this.spawnsWaiting === 0) for (const wake of this.spawnDone.splice(0)) wake();
    }
  }

  get inFlight(): number {
    return this.active;
  }
}

export interface Identity {
  /** uid/gid commands run as; null: as the daemon itself (apt profile). */
  readonly user: { uid: number; gid: number } | null;
  /** The environment commands start from: the container's (image ENV + container Env), not the daemon's. */
  readonly userEnv: Record<string, string>;
  /** Every asynchronous fs call of the daemon goes through here. */
  fs<T>(fn: () => Promise<T>): Promise<T>;
  /** Start `file args` as the user in its own process group, in `cwd`, marked as the OOM killer's first choice. */
  spawn(file: string, args: string[], opts: { cwd: string; env: Record<string, string>; stdio: SpawnOptions['stdio'] }): Promise<ChildProcess>;
}

export function parseRunAs(value: string | undefined): { uid: number; gid: number } | null {
  const m = /^(\d{1,9}):(\d{1,9})$/.exec(value ?? '');
  if (!m) return null;
  const [uid, gid] = [Number(m[1]), Number(m[2])];
  return uid > 0 && gid > 0 ? { uid, gid } : null;
}

/** The container's environment as the host read it (JSON array of NAME=value); the daemon's own is a fixed one. */
export function parseUserEnv(json: string | undefined, fallback: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  let list: unknown = null;
  try {
    list = JSON.parse(json ?? 'null');
  } catch {
    /* fall back */
  }
  if (Array.isArray(list)) {
    for (const item of list) {
      const eq = typeof item === 'string' ? item.indexOf('=') : -1;
      if (eq > 0) env[item.slice(0, eq)] = item.slice(eq + 1);
    }
  } else {
    for (const [k, v] of Object.entries(fallback)) if (v !== undefined) env[k] = v;
  }
  for (const k of DAEMON_ONLY) delete env[k];
  return env;
}

/** `cd` runs as the user (root without DAC_READ_SEARCH could not enter a 0700 folder), then the command replaces it. */
const LAUNCH = 'cd -- "$1" || exit 126; shift; echo 800 >/proc/self/oom_score_adj 2>/dev/null; exec "$@"';

export function commandLine(user: Identity['user'], file: string, args: string[], cwd: string): [string, string[]] {
  const launch = ['/bin/sh', '-c', LAUNCH, 'suna-launch', cwd, file, ...args];
  if (!user) return [launch[0]!, launch.slice(1)];
  const drop = [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all'];
  return [SETPRIV, [...drop, '--', ...launch]];
}

/** Called once at start-up (as root): become the user for everything but starting commands. */
export function confineDaemon(env: NodeJS.ProcessEnv): Identity {
  const user = parseRunAs(env.SUNA_RUN_AS);
  const userEnv = parseUserEnv(env.SUNA_USER_ENV, env);
  const gate = new SpawnGate();
  if (user && process.getuid?.() === 0) {
    try {
      process.setgroups!([user.gid]);
      process.setegid!(user.gid);
      process.seteuid!(user.uid);
    } catch (err) {
      // Never serve as full root by accident: a container without SETUID/SETGID is not one we made.
      process.stderr.write(`cannot switch to uid ${user.uid} (${(err as Error).message}); the container lacks SETUID/SETGID: recreate it (sandbox_reset)\n`);
      process.exit(1);
    }
  }
  const confined = !!user && process.getuid?.() === 0;
  return {
    user,
    userEnv,
    fs: (fn) => (confined ? gate.shared(fn) : fn()),
    spawn: async (file, args, opts) => {
      const [cmd, argv] = commandLine(confined ? user : null, file, args, opts.cwd);
      const start = () => spawn(cmd, argv, { cwd: '/', env: opts.env, detached: true, stdio: opts.stdio });
      if (!confined) return start();
      return gate.exclusive(() => {
        process.seteuid!(0);
        try {
          return start();
        } finally {
          process.seteuid!(user!.uid);
        }
      });
    },
  };
}
