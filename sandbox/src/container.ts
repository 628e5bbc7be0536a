// The dockerode driver: the hardened container spec (in one place), and create / re-attach / start / stop /
// remove / status / reap of sandbox containers by name and label. No `docker` CLI is ever shelled out to.
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type Docker from 'dockerode';
import { imageOf, LABEL, type SandboxConfig } from './config.js';
import type { DaemonLaunch } from './daemon-client.js';
import { dockerOf, type DockerSource } from './docker-client.js';
import { egressClientEnv } from './egress/broker.js';
import { HOST_SOCKET_MOUNT } from './host-socket.js';
import { WORKSPACE_ROOT } from './paths.js';

export const HOME_DIR = '/home/user';
/** The sandbox user (the image's `user`): every command the agent runs has this uid/gid. */
export const SANDBOX_UID = 1000;
export const SANDBOX_GID = 1000;
/** Node in the read-only image. Never resolved through PATH: ~/.local/bin comes first there and is writable. */
export const DAEMON_NODE = '/usr/local/bin/node';

export function containerName(config: SandboxConfig): string {
  return `suna-${config.name}`;
}
export function volumeNames(config: SandboxConfig): { workspace: string; home: string } {
  return { workspace: `suna-${config.name}-workspace`, home: `suna-${config.name}-home` };
}

function ownerTag(): string {
  return `${hostname()}:${process.pid}`;
}

function volumeLabels(config: SandboxConfig): Record<string, string> {
  const labels: Record<string, string> = { [LABEL.managed]: 'true', [LABEL.sandbox]: config.name };
  if (config.ephemeral) Object.assign(labels, { [LABEL.ephemeral]: 'true', [LABEL.owner]: ownerTag() });
  return labels;
}

function volumeOptions(config: SandboxConfig) {
  return { NoCopy: false, Labels: volumeLabels(config), DriverConfig: { Name: 'local', Options: {} } };
}

/**
 * The hardening profile. Any capability added back is listed here with the reason.
 *
 * Default profile: the container runs as root so that what the agent runs (uid 1000) cannot signal its main
 * process (a `kill -9 -1` would stop the container) nor the daemon. Root here is weak: no capability but
 * SETUID + SETGID (the daemon starts commands as uid/gid 1000 with no groups) and SETPCAP (it empties their
 * bounding set), so commands have CapEff = CapBnd = 0. No DAC_OVERRIDE: the daemon does file work as uid 1000
 * with normal permission checks. no-new-privileges and the read-only root stay. See sandbox/daemon/confinement.ts.
 * `apt` profile: root inside with what apt-get needs; the agent is root too, so it can reach the daemon there:
 * only the host-side checks of what comes out of the sandbox hold (daemon-answers.ts).
 */
export function containerSpec(config: SandboxConfig, options: { hostSocketDir?: string | null } = {}): Docker.ContainerCreateOptions {
  const vols = volumeNames(config);
  const apt = config.profile === 'apt';
  const labels: Record<string, string> = {
    [LABEL.managed]: 'true',
    [LABEL.sandbox]: config.name,
    [LABEL.profile]: config.profile,
  };
  if (config.ephemeral) {
    labels[LABEL.ephemeral] = 'true';
    labels[LABEL.owner] = ownerTag();
  }
  return {
    name: containerName(config),
    Image: imageOf(config),
    Cmd: ['sleep', 'infinity'],
    User: '0:0',
    WorkingDir: WORKSPACE_ROOT,
    Labels: labels,
    Hostname: 'sandbox',
    // Commands inherit this (with the image's ENV) through the daemon; others may append to it. The proxy
    // settings are set even with egress off, so a client fails fast rather than on DNS.
    Env: ['SUNA_SANDBOX=1', ...egressClientEnv()],
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    HostConfig: {
      Init: true, // PID 1 reaps zombies and stops in ms, not after the 10 s kill timeout
      ReadonlyRootfs: !apt,
      CapDrop: ['ALL'],
      CapAdd: apt
        ? // apt-get (as root) needs to chown/chmod files it unpacks, switch to the _apt user and bypass DAC.
          ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'SETUID', 'SETGID']
        : // SETUID, SETGID: the daemon starts commands as uid/gid 1000 (setpriv) and works as euid 1000.
          // SETPCAP: setpriv empties the commands' capability bounding set.
          ['SETUID', 'SETGID', 'SETPCAP'],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      Memory: config.memoryMb * 1024 * 1024,
      MemorySwap: config.memoryMb * 1024 * 1024, // no swap beyond the limit
      PidsLimit: config.pidsLimit,
      NanoCpus: Math.round(config.cpus * 1e9),
      // No network at all: a raw socket has no route anywhere. Egress goes only through the relay, decided on the host.
      NetworkMode: 'none',
      Tmpfs: {
        '/tmp': `rw,exec,nosuid,nodev,size=${config.tmpSizeMb}m`,
        '/run': 'rw,noexec,nosuid,nodev,size=16m',
      },
      // VolumeOptions: should Docker create a missing volume itself (a race with a reset), it still carries
      // our labels, so the orphan reaper can find it.
      Mounts: [
        { Type: 'volume', Source: vols.workspace, Target: WORKSPACE_ROOT, ReadOnly: false, VolumeOptions: volumeOptions(config) },
        { Type: 'volume', Source: vols.home, Target: HOME_DIR, ReadOnly: false, VolumeOptions: volumeOptions(config) },
        // Where the engine is local: the server's socket directory for this sandbox, read-only (host-socket.ts).
        // Not part of the posture comparison: a container made without it keeps working over exec streams.
        ...(options.hostSocketDir ? [{ Type: 'bind' as const, Source: options.hostSocketDir, Target: HOST_SOCKET_MOUNT, ReadOnly: true, BindOptions: { Propagation: 'rprivate' as const } }] : []),
      ],
      RestartPolicy: { Name: 'no' },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '1' } },
    },
  };
}

/** Where the daemon listens for the other replicas' bridges (a root-only directory on the /run tmpfs). */
export const DAEMON_SOCKET = '/run/suna-daemon/daemon.sock';
/** Beside the socket: the agent could flock a lock it can open (any mode does), and so keep a new daemon from starting. */
export const DAEMON_LOCK = '/run/suna-daemon/daemon.lock';
/**
 * One daemon per sandbox, whichever replica comes first: the exec that takes the lock runs the daemon (flock
 * holds it until the daemon exits, also when it is killed; -o: the daemon and the commands it starts never
 * inherit the lock's descriptor, so a process the agent leaves behind cannot keep it); an exec that finds it taken runs the same program as
 * a bridge to the daemon's socket (sandbox/daemon/shared-socket.ts). A bridge that finds no daemon listening
 * (it was just exiting) exits 76 and the lock is tried again.
 * The program itself comes first on the exec's stdin (exactly `size` bytes: dd reads no further, the protocol
 * follows), is checked against its sha256 and moved into place in the root-only directory, named by its hash:
 * not in argv (57 KB three times in every `ps`, and in memory), and out of the agent's reach (uid 1000, no caps).
 */
const DAEMON_OR_BRIDGE = [
  '(umask 077; mkdir -p /run/suna-daemon) || exit 1',
  'hash=$1 size=$2 program=$4; shift 2',
  '(umask 077; /usr/bin/dd bs=65536 count="$size" iflag=count_bytes,fullblock of="$program.$$" status=none) || exit 1',
  'if ! echo "$hash  $program.$$" | /usr/bin/sha256sum -c --status; then /bin/rm -f "$program.$$"; echo "the daemon program arrived damaged" >&2; exit 1; fi',
  '/bin/mv -f "$program.$$" "$program" || exit 1',
  'for attempt in 1 2 3; do',
  `  /usr/bin/flock -n -o -E 75 ${DAEMON_LOCK} "$@"; rc=$?`,
  '  [ "$rc" -eq 75 ] || exit "$rc"',
  '  "$@" --bridge; rc=$?',
  '  [ "$rc" -eq 76 ] || exit "$rc"',
  'done',
  'exit 76',
].join('\n');

/**
 * How the daemon is started (one `docker exec`): as root, node by absolute path, from `/`, with a fixed
 * environment. Docker merges an exec's Env over the container's (image ENV included), so every variable that
 * could make node load or resolve something from a writable folder is overridden here. `containerEnv` (the
 * container's own, from inspect) is handed over for the commands the daemon starts; `extra`: daemon settings.
 */
export function daemonExec(config: SandboxConfig, bundle: string, containerEnv: string[], extra: string[]): DaemonLaunch {
  const fixed = [
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'HOME=/nonexistent',
    'NODE_OPTIONS=',
    'NODE_PATH=',
    'NODE_EXTRA_CA_CERTS=',
    'NODE_COMPILE_CACHE=',
    'NODE_REPL_EXTERNAL_MODULE=',
    // The image sets it for the agent's own node (its fetch honours the egress proxy); in the daemon, which makes no
    // HTTP requests, it loads undici's proxy agent at start: +4.5 MiB of private memory per sandbox (commands still
    // get it: they are given the container's environment, SUNA_USER_ENV).
    'NODE_USE_ENV_PROXY=',
    'LD_PRELOAD=',
    'LD_LIBRARY_PATH=',
    'TMPDIR=/tmp',
  ];
  const program = Buffer.from(bundle, 'utf8');
  const hash = createHash('sha256').update(program).digest('hex');
  return {
    Cmd: ['/bin/sh', '-c', DAEMON_OR_BRIDGE, 'suna-launch', hash, String(program.length), DAEMON_NODE, `/run/suna-daemon/daemon-${hash.slice(0, 16)}.cjs`, 'suna-daemon'],
    program,
    User: '0:0',
    WorkingDir: '/',
    Env: [
      ...fixed,
      `SUNA_WORKSPACE=${WORKSPACE_ROOT}`,
      `SUNA_SHARED_SOCKET=${DAEMON_SOCKET}`,
      `SUNA_USER_ENV=${JSON.stringify(containerEnv)}`,
      ...(config.profile === 'apt' ? [] : [`SUNA_RUN_AS=${SANDBOX_UID}:${SANDBOX_GID}`]),
      ...extra,
    ],
  };
}

/** Same user and the same capabilities added back as the spec says. */
function samePosture(info: Docker.ContainerInspectInfo, spec: Docker.ContainerCreateOptions): boolean {
  const caps = (list: string[] | null | undefined) => [...(list ?? [])].map((c) => c.replace(/^CAP_/, '')).sort().join(',');
  return info.Config.User === spec.User && caps(info.HostConfig.CapAdd) === caps(spec.HostConfig?.CapAdd);
}

export interface ContainerState {
  id: string;
  running: boolean;
  status: string;
  startedAt?: string;
  oomKilled: boolean;
  image: string;
  profile: string;
}

export class SandboxContainerDriver {
  constructor(private readonly dockerSource: DockerSource, readonly config: SandboxConfig) {}

  get docker(): Docker {
    return dockerOf(this.dockerSource);
  }

  async find(): Promise<Docker.Container | null> {
    const list = await this.docker.listContainers({
      all: true,
      filters: { label: [`${LABEL.sandbox}=${this.config.name}`, `${LABEL.managed}=true`] },
    });
    const match = list.find((c) => c.Names.includes('/' + containerName(this.config)));
    return match ? this.docker.getContainer(match.Id) : null;
  }

  async state(): Promise<ContainerState | null> {
    const c = await this.find();
    if (!c) return null;
    const info = await c.inspect().catch(() => null);
    if (!info) return null;
    return {
      id: info.Id,
      running: info.State.Running,
      status: info.State.Status,
      startedAt: info.State.StartedAt,
      oomKilled: info.State.OOMKilled,
      image: info.Config.Image,
      profile: info.Config.Labels?.[LABEL.profile] ?? 'default',
    };
  }

  /** Re-attach to the named sandbox or create it; start it if stopped. Reports what it had to do. */
  /** `hostSocketDir`: mounted into a container made now (an existing one is kept with or without it). */
  async ensureRunning(hostSocketDir?: string | null): Promise<{ container: Docker.Container; created: boolean; started: boolean; workspaceExisted: boolean }> {
    let container = await this.find();
    let created = false;
    let workspaceExisted = true;
    if (container) {
      const info = await container.inspect();
      // A container from another image or profile, or made with another hardening profile (e.g. by an older
      // version: uid 1000 without the capabilities the daemon now needs), is stale: replace it (volumes are kept).
      // So is one from before the egress policy, still attached to a Docker network.
      const unfiltered = info.HostConfig?.NetworkMode !== 'none';
      // An orphan of a dead ephemeral server with our name is thrown away with its data, never adopted: it still
      // names the dead owner, so any server's reaper would remove it under us.
      if (orphaned(info.Config.Labels)) {
        await reapOrphans(this.docker, this.config.name);
        // Another server's reaper may be removing it too: its name and volumes are free only once it is gone.
        await this.gone(container);
        await reapOrphans(this.docker, this.config.name);
        container = null;
      } else if (unfiltered || info.Config.Image !== imageOf(this.config) || (info.Config.Labels?.[LABEL.profile] ?? 'default') !== this.config.profile || !samePosture(info, containerSpec(this.config))) {
        await container.remove({ force: true });
        container = null;
      }
    }
    if (!container) {
      workspaceExisted = await this.ensureVolumes();
      container = await this.docker.createContainer(containerSpec(this.config, { hostSocketDir })).catch((err: Error) => {
        // The engine cannot see the directory after all (e.g. this server runs in a container of its own): no mount.
        if (hostSocketDir && /bind source path|invalid mount config/i.test(err.message)) return this.docker.createContainer(containerSpec(this.config));
        throw err;
      });
      created = true;
    }
    const info = await container.inspect();
    let started = false;
    if (!info.State.Running) {
      await container.start();
      started = true;
    }
    return { container, created, started, workspaceExisted };
  }

  /** Waits (≤ 15 s) until a container being removed, by us or by another server's reaper, is gone. */
  private async gone(container: Docker.Container): Promise<void> {
    for (let i = 0; i < 60; i++) {
      if (!(await container.inspect().catch(() => null))) return;
      await container.remove({ force: true }).catch(() => {});
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error('an orphaned sandbox of the same name could not be removed; run `suna-mcp` again in a moment');
  }

  /** Creates missing volumes; returns whether the workspace volume already existed. */
  private async ensureVolumes(): Promise<boolean> {
    const vols = volumeNames(this.config);
    const labels = volumeLabels(this.config);
    const exists = async (n: string) => !!(await this.docker.getVolume(n).inspect().catch(() => null));
    const workspaceExisted = await exists(vols.workspace);
    for (const name of [vols.workspace, vols.home]) {
      if (!(await exists(name))) await this.docker.createVolume({ Name: name, Labels: labels });
    }
    return workspaceExisted;
  }

  async stop(): Promise<void> {
    const c = await this.find();
    if (c) await c.stop({ t: 2 }).catch((e: { statusCode?: number }) => (e.statusCode === 304 ? undefined : Promise.reject(e)));
  }

  /** Remove the container; with `volumes`, also the workspace and home (the data is gone). */
  async remove({ volumes }: { volumes: boolean }): Promise<void> {
    const c = await this.find();
    if (c) await c.remove({ force: true }).catch((e: { statusCode?: number }) => (e.statusCode === 404 ? undefined : Promise.reject(e)));
    if (volumes) await this.removeVolumes();
  }

  private async removeVolumes(): Promise<void> {
    for (const name of Object.values(volumeNames(this.config))) {
      await this.docker.getVolume(name).remove({ force: true }).catch((e: { statusCode?: number }) => (e.statusCode === 404 ? undefined : Promise.reject(e)));
    }
  }
}

/** An ephemeral sandbox (or volume) whose owning process on this host is gone. */
export function orphaned(labels: Record<string, string> | undefined): boolean {
  if (labels?.[LABEL.ephemeral] !== 'true') return false;
  const [h, pid] = (labels[LABEL.owner] ?? '').split(':');
  if (h !== hostname() || pid === undefined || !/^\d+$/.test(pid)) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'EPERM';
  }
}

/** Remove ephemeral sandboxes (their store sidecars and volumes) whose owning process on this host is gone; with
 *  `only`, just those of that sandbox name. */
export async function reapOrphans(docker: Docker, only?: string): Promise<string[]> {
  const reaped: string[] = [];
  const ours = (labels: Record<string, string> | undefined) => orphaned(labels) && (only === undefined || labels?.[LABEL.sandbox] === only || labels?.[LABEL.checkpointStore] === only);
  const containers = await docker.listContainers({ all: true, filters: { label: [`${LABEL.ephemeral}=true`] } });
  for (const c of containers) {
    if (!ours(c.Labels)) continue;
    await docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
    reaped.push(c.Names[0] ?? c.Id);
  }
  const { Volumes } = await docker.listVolumes({ filters: { label: [`${LABEL.ephemeral}=true`] } });
  for (const v of Volumes ?? []) {
    if (ours(v.Labels)) await docker.getVolume(v.Name).remove().catch(() => {});
  }
  return reaped;
}
