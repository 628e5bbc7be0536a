// A Sandbox is the one object tools talk to: it makes sure the image, container and daemon are there
// (recreating what died, and saying so), and forwards operations to the daemon.
import type Docker from 'dockerode';
import type { CodeRunArgs, CodeRunResult, DaemonEvent, DaemonOp, DaemonOps, ExecArgs, ExecResult } from '../daemon/protocol.js';
import { DEFAULT_DISK_QUOTA_MB, egressOf, imageOf, type ExitPolicy, type SandboxConfig } from './config.js';
import { assets } from './assets.js';
import { CheckpointStore, type CheckpointInfo } from './checkpoints.js';
import { HOME_DIR, SandboxContainerDriver, containerName, daemonExec, volumeNames, type ContainerState } from './container.js';
import { dockerOf, lazyDocker, type DockerSource } from './docker-client.js';
import { DaemonGoneError, DaemonProtocolError, SandboxDaemonClient, type RequestOptions } from './daemon-client.js';
import { EgressBroker, type EgressStatus } from './egress/broker.js';
import { HostSocket } from './host-socket.js';
import { quotaNotice } from './notices.js';
import { WORKSPACE_ROOT } from './paths.js';
import { DAEMON_GRACE_MS, DAEMON_OP_TIMEOUT_MS } from './op-timeouts.js';
import type { BuildProgress } from './image.js';
import { DockerBackend, type SandboxBackend } from './backend.js';

export type Log = (line: string) => void;

export { DockerUnavailableError } from './backend.js';

/**
 * Disk quota of the writable volumes (/workspace and the home directory), MiB; 0 turns it off. Docker volumes on
 * overlay2/ext4 have no size limit, so the in-sandbox daemon enforces it (see sandbox/daemon/quota.ts).
 */
export function diskQuotaMb(config: SandboxConfig): number {
  return config.diskQuotaMb ?? DEFAULT_DISK_QUOTA_MB;
}

export interface SandboxStatus {
  name: string;
  container: string;
  image: string;
  profile: string;
  network: string;
  limits: { memoryMb: number; cpus: number; pidsLimit: number; tmpSizeMb: number };
  state: 'running' | 'stopped' | 'absent';
  containerId?: string;
  uptimeS?: number;
  daemon: 'connected' | 'disconnected';
  volumes: { workspace: string; home: string };
  restarts: { daemon: number; container: number };
  /** Space used by /workspace and the home directory, and the quota (0: none); absent when not measurable. */
  disk?: { usedBytes: number; quotaBytes: number };
  egress: EgressStatus;
  /** The checkpoint store: checkpoints kept, the bytes they hold and the base copy's; absent until the store is used. */
  checkpoints?: { count: number; totalBytes: number; baseBytes?: number };
}

let execCounter = 0;

export class Sandbox {
  private readonly dockerSource: DockerSource;
  /** The engine the sandbox runs on (backend.ts); Docker is the one implementation. */
  readonly backend: SandboxBackend<Docker.Container>;
  readonly driver: SandboxContainerDriver;
  /** Outbound traffic: the relay in the sandbox and the policy on this side (sandbox/src/egress/). */
  readonly egress: EgressBroker<Docker.Container>;
  /**
   * The server's unix socket for this sandbox where the engine is local (host-socket.ts): services register by name
   * (egress), listening while connected. Not listening: helpers use their exec streams.
   */
  readonly hostSocket: HostSocket;
  /** Checkpoints of /workspace and home, in a store the agent cannot reach (checkpoints.ts). */
  readonly checkpoints: CheckpointStore;
  private daemon: SandboxDaemonClient | null = null;
  private ensuring: Promise<SandboxDaemonClient> | null = null;
  private notices: string[] = [];
  private everConnected = false;
  /** The daemon's pid at the last connection: a reconnect to the same daemon (shared by replicas) lost nothing. */
  private lastDaemonPid = 0;
  private restarts = { daemon: 0, container: 0 };
  /** The image build in progress (one per process, shared by every caller), and who wants its progress. */
  private imageBuild: Promise<void> | null = null;
  private imageReady = false;
  private readonly buildListeners = new Set<BuildProgress>();
  private buildState: { step: number; total: number; startedAt: number } | null = null;
  /** Lifetime counts for metrics: containers created, containers started, daemon connections. */
  readonly starts = { created: 0, started: 0, daemon: 0 };

  constructor(readonly config: SandboxConfig, private readonly log: Log = () => {}, docker?: Docker) {
    this.dockerSource = docker ?? lazyDocker(); // loaded on first use: the server answers `initialize` before that
    const backend = new DockerBackend(this.dockerSource, config);
    this.backend = backend;
    this.driver = backend.driver;
    this.hostSocket = new HostSocket({ log });
    this.egress = new EgressBroker(backend, egressOf(config), log, { hostSocket: this.hostSocket });
    this.checkpoints = new CheckpointStore(backend, config);
  }

  get docker(): Docker {
    return dockerOf(this.dockerSource);
  }

  /** Messages about recovery ("the sandbox was recreated…") that the next tool result should carry. */
  takeNotices(): string[] {
    const n = this.notices;
    this.notices = [];
    return n;
  }

  /** Connected to a live daemon now (nothing is started to find out). */
  get running(): boolean {
    return !!this.daemon?.isAlive;
  }

  /** Image present, container running, daemon connected; concurrent callers share one attempt. */
  ensure(): Promise<SandboxDaemonClient> {
    if (this.daemon?.isAlive) return Promise.resolve(this.daemon);
    this.ensuring ??= this.connect().finally(() => (this.ensuring = null));
    return this.ensuring;
  }

  private async connect(): Promise<SandboxDaemonClient> {
    await this.ensureImage();
    const had = this.everConnected;
    const running = await this.backend.ensureRunning();
    const { handle: container, created, started, workspaceExisted } = running;
    if (had && created) {
      this.restarts.container++;
      this.notices.push(
        workspaceExisted
          ? 'The sandbox container was gone and has been recreated; /workspace (a volume) was kept, running processes and /tmp were lost.'
          : 'The sandbox container was gone and has been recreated with an EMPTY /workspace: earlier files were lost.',
      );
    } else if (had && started) {
      this.restarts.container++;
      this.notices.push('The sandbox container had stopped and was started again; background processes and /tmp were lost.');
    }
    if (created || started) this.log(`sandbox ${containerName(this.config)} ${created ? 'created' : 'started'}`);
    if (created) this.starts.created++;
    else if (started) this.starts.started++;
    this.starts.daemon++;
    // Where the engine is local: listen in the sandbox's socket directory before any helper starts (it may use it).
    const socketDir = running.hostSocketDir;
    if (socketDir) await this.hostSocket.listen(socketDir).catch((err: Error) => this.log(`host socket: cannot listen (${err.message}); exec streams are used`));
    const quotaDirs = [WORKSPACE_ROOT, HOME_DIR];
    const quotaBytes = diskQuotaMb(this.config) * 1024 * 1024;
    const quotaEnv = [`SUNA_DISK_QUOTA_MB=${diskQuotaMb(this.config)}`, `SUNA_DISK_QUOTA_PATHS=${quotaDirs.join(':')}`];
    // The egress relay is a separate exec next to the daemon; if it cannot start, commands still work, offline.
    const egressStarting = this.egress.start(container).catch((err: Error) => {
      this.log(`egress relay did not start: ${err.message}`);
      this.notices.push(`Outbound network access is unavailable: the egress relay did not start (${err.message}).`);
    });
    // Commands get the container's environment (image ENV + container Env), not the daemon's fixed one.
    const containerEnv = await this.backend.environment(container);
    const [daemon] = await Promise.all([this.backend.connectDaemon(container, daemonExec(this.config, assets().daemon, containerEnv, quotaEnv)), egressStarting]);
    // The daemon's disk watchdog reports a quota breach (and what it stopped) in the next tool result, in the
    // host's words: only checked numbers and names go into it (notices.ts).
    daemon.on('event', (e) => {
      if (e.ev !== 'quota') return;
      const notice = quotaNotice(e, { quotaBytes, dirs: quotaDirs });
      if (notice) this.notices.push(notice);
    });
    daemon.on('closed', () => {
      if (this.daemon === daemon) this.daemon = null;
    });
    // Another replica's daemon, or ours still alive behind a dropped stream: nothing was lost.
    if (had && !created && !started && daemon.daemonPid !== this.lastDaemonPid) {
      this.restarts.daemon++;
      this.notices.push('The sandbox daemon had stopped and was restarted; background processes started earlier are gone.');
    }
    this.lastDaemonPid = daemon.daemonPid;
    this.daemon = daemon;
    this.everConnected = true;
    return daemon;
  }

  /** The image is there, or is built now; concurrent callers share one build, and a failed build is retried next time. */
  ensureImage(onProgress?: BuildProgress): Promise<void> {
    if (this.imageReady) return this.pingDocker();
    if (onProgress) this.buildListeners.add(onProgress);
    this.imageBuild ??= (async () => {
      await this.pingDocker();
      const image = imageOf(this.config);
      if (!(await this.backend.imageExists(image))) {
        this.buildState = { step: 0, total: 0, startedAt: Date.now() };
        await this.backend.buildImage(image, this.config.baseImage, this.log, (step, total, line) => {
          this.buildState = { ...this.buildState!, step, total };
          for (const l of this.buildListeners) l(step, total, line);
        });
      }
      this.imageReady = true;
    })().finally(() => {
      this.imageBuild = null;
      this.buildState = null;
    });
    const build = this.imageBuild;
    return onProgress ? build.finally(() => this.buildListeners.delete(onProgress)) : build;
  }

  private pingDocker(): Promise<void> {
    return this.backend.ping();
  }

  /** Where a running image build is: Dockerfile step n of m and since when; null when none runs. */
  get imageBuildState(): { step: number; total: number; startedAt: number } | null {
    return this.buildState ? { ...this.buildState } : null;
  }

  get imagePresent(): boolean {
    return this.imageReady;
  }

  /** Send one request to the daemon, connecting first. A dead daemon fails this call clearly; the next call reconnects. */
  async call<K extends DaemonOp>(op: K, args: DaemonOps[K][0], opts?: RequestOptions): Promise<DaemonOps[K][1]> {
    const daemon = await this.ensure();
    try {
      return await daemon.request(op, args, opts);
    } catch (err) {
      if (err instanceof DaemonGoneError && !(err instanceof DaemonProtocolError)) {
        // undefined: Docker itself did not answer (e.g. dockerd restarting), which is not "the container was removed".
        const state = await this.backend.state().catch(() => undefined);
        const why = state === undefined ? 'the Docker Engine stopped answering' : !state ? 'the sandbox container was removed' : !state.running ? `the sandbox container stopped (${state.oomKilled ? 'out of memory' : state.status})` : 'the sandbox daemon was killed';
        throw new DaemonGoneError(`${why} while running "${op}"; it will be restarted on the next call, so retry.`);
      }
      throw err;
    }
  }

  /** Runs a command to completion; `onOutput` receives its output while it runs (bounded, batched by the daemon). */
  async exec(args: Omit<ExecArgs, 'spillPath' | 'stream'> & { spillDir?: string }, signal?: AbortSignal, onOutput?: (chunk: Buffer) => void): Promise<ExecResult> {
    const execId = `x${++execCounter}`;
    const spillPath = args.spillDir ? `${args.spillDir}/exec-${Date.now()}-${execCounter}.log` : undefined;
    const daemon = await this.ensure();
    const onEvent = (e: DaemonEvent) => {
      if (e.ev === 'execOutput' && e.execId === execId) onOutput!(Buffer.from(e.data, 'base64'));
    };
    if (onOutput) daemon.on('event', onEvent);
    try {
      return await this.call('exec', { ...args, execId, spillPath, ...(onOutput ? { stream: true } : {}) }, {
        signal,
        timeoutMs: args.timeoutMs + DAEMON_GRACE_MS,
        onAbort: () => daemon.notify('cancel', { execId }),
      });
    } finally {
      daemon.off('event', onEvent);
    }
  }

  /** One cell in the code interpreter's kernel; aborting interrupts it (the kernel keeps its state). */
  async codeRun(args: Omit<CodeRunArgs, 'runId'>, signal?: AbortSignal): Promise<CodeRunResult> {
    const runId = `c${++execCounter}`;
    const daemon = await this.ensure();
    return this.call('codeRun', { ...args, runId }, {
      signal,
      // Kernel start, interrupt and restart come on top of the code's own time (the daemon's deadline is 90 s).
      timeoutMs: args.timeoutMs + DAEMON_OP_TIMEOUT_MS.codeRun,
      onAbort: () => daemon.notify('codeCancel', { runId }),
    });
  }

  get restartCounts(): { daemon: number; container: number } {
    return { ...this.restarts };
  }

  async status(): Promise<SandboxStatus> {
    const state: ContainerState | null = await this.backend.state().catch(() => null);
    const c = this.config;
    return {
      name: c.name,
      container: containerName(c),
      image: imageOf(c),
      profile: c.profile,
      network: c.network,
      limits: { memoryMb: c.memoryMb, cpus: c.cpus, pidsLimit: c.pidsLimit, tmpSizeMb: c.tmpSizeMb },
      state: !state ? 'absent' : state.running ? 'running' : 'stopped',
      containerId: state?.id.slice(0, 12),
      uptimeS: state?.running && state.startedAt ? Math.round((Date.now() - Date.parse(state.startedAt)) / 1000) : undefined,
      daemon: this.daemon?.isAlive ? 'connected' : 'disconnected',
      volumes: volumeNames(c),
      restarts: { ...this.restarts },
      disk: await this.diskUsage().then((usedBytes) => (usedBytes === undefined ? undefined : { usedBytes, quotaBytes: diskQuotaMb(c) * 1024 * 1024 })),
      egress: this.egress.status(),
      checkpoints: await this.checkpoints.size().catch(() => undefined),
    };
  }

  /** Bytes held by /workspace and the home directory (`du` in the sandbox); undefined when the daemon is not connected. */
  async diskUsage(): Promise<number | undefined> {
    if (!this.daemon?.isAlive) return undefined;
    const args = { argv: ['du', '-sxcB1', '--', WORKSPACE_ROOT, HOME_DIR], cwd: WORKSPACE_ROOT, timeoutMs: 30_000, capBytes: 4096, execId: `du${++execCounter}` };
    const r = await this.call('exec', args, { timeoutMs: 45_000 }).catch(() => null);
    const total = r && /(\d+)\s+total\s*$/.exec(Buffer.from(r.stdout.head, 'base64').toString());
    return total ? Number(total[1]) : undefined;
  }

  /** Destroy container and volumes, then start fresh: an empty workspace. */
  async reset(): Promise<void> {
    this.disconnect();
    // The store sidecars mount the volumes: they go first. The checkpoints stay, so a reset can be undone.
    await this.checkpoints.remove({ store: false });
    await this.backend.remove({ volumes: true });
    this.everConnected = false;
    await this.ensure();
  }

  disconnect(): void {
    this.egress.stop();
    this.hostSocket.close();
    this.daemon?.close();
    this.daemon = null;
  }

  /** Apply the exit policy: keep running, stop (workspace kept), or remove everything. */
  async shutdown(policy: ExitPolicy): Promise<void> {
    this.disconnect();
    this.checkpoints.disconnect();
    if (this.config.ephemeral || policy === 'remove') {
      await this.checkpoints.remove({ store: true });
      await this.backend.remove({ volumes: true });
    } else if (policy === 'stop') {
      await this.backend.stop();
      await this.checkpoints.remove({ store: false }); // idle containers; recreated on the next checkpoint
    }
  }

  /**
   * Return /workspace and home to checkpoint `id`. The present is checkpointed first (so the restore can be
   * undone). Then every process of the agent is killed and the container frozen (`docker pause`: nothing in it
   * can run, so nothing races the copy), the trees are restored from the store, the container thawed, and
   * anything that escaped the first kill (a fork racing it) is killed again. With --profile apt the agent is root
   * and a kill of everything would take the daemon along: there the container is stopped and started instead.
   */
  async restore(id: string, keep: () => string[], signal?: AbortSignal): Promise<{ before: CheckpointInfo; warnings: string[] }> {
    await this.ensure(); // the volumes exist (a restore after a reset recreates them)
    const before = await this.checkpoints.create(`before restoring ${id}`, () => [...keep(), id], signal);
    const killFirst = this.config.profile !== 'apt';
    if (killFirst) await this.killAgentProcesses();
    // When it will not freeze, the container is stopped, which ends everything in it just as well.
    if (!killFirst || !(await this.backend.freeze())) {
      this.disconnect();
      await this.backend.stop();
      try {
        return { before, ...(await this.checkpoints.restore(id)) };
      } finally {
        await this.ensure();
        this.takeNotices(); // "the container had stopped": we stopped it, and the tool result says so
      }
    }
    let restored: { warnings: string[] };
    try {
      restored = await this.checkpoints.restore(id);
    } finally {
      await this.backend.thaw();
    }
    await this.killAgentProcesses();
    return { before, ...restored };
  }

  /** SIGKILL to every process of the sandbox user (`kill -1` as uid 1000: the daemon and the relay are not its). */
  private async killAgentProcesses(): Promise<void> {
    await this.exec({ argv: ['bash', '-c', 'kill -KILL -1'], cwd: WORKSPACE_ROOT, timeoutMs: 10_000, capBytes: 1024 }).catch(() => undefined);
  }
}
