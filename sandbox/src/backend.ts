// The engine a sandbox runs on, as Sandbox needs it: reachability, the image, a hardened container that is
// running, the daemon's attached stream into it, its state, stop and remove. Docker (local, Docker Desktop or a
// remote DOCKER_HOST over TLS) is the one implementation; another engine (Kubernetes pods through the exec API,
// see docs/scale-out.md) is one more module implementing this interface. The egress relay starts through it too
// (attachHelper, hostGatewayAddresses): the broker never touches the engine's client; so do the checkpoint store's
// sidecars (StoreBackend: made, their program's channel opened, removed).
import type Docker from 'dockerode';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { containerName, SandboxContainerDriver, type ContainerState } from './container.js';
import { ensureHostSocketDir, hostSocketBase, hostSocketDir, pruneHostSocketDirs, removeHostSocketDir } from './host-socket.js';
import { dockerOf, type DockerSource } from './docker-client.js';
import { SandboxDaemonClient, type DaemonLaunch } from './daemon-client.js';
import { buildImage, imageExists, type BuildProgress } from './image.js';
import { attachExecHelper, type AttachedHelper, type HelperSpec } from './exec-stream.js';
import { LABEL, type SandboxConfig } from './config.js';
import { StoreChannel } from './checkpoint-channel.js';
import { checkpointVolumeName, sidecarName, sidecarSpec, type StoreBackend, type StoreSide } from './checkpoint-sidecar.js';

export interface RunningSandbox<Handle> {
  handle: Handle;
  /** Made now (was absent), or started now (was stopped). */
  created: boolean;
  started: boolean;
  /** The workspace volume was there before (a recreated container kept the files). */
  workspaceExisted: boolean;
  /**
   * This sandbox's host socket directory (host-socket.ts), made before the container was created or started, where
   * the engine is local and can bind-mount it; null elsewhere (Docker Desktop, a remote engine, a server in a container).
   */
  hostSocketDir: string | null;
}

export interface SandboxBackend<Handle = unknown> extends StoreBackend<Handle> {
  /** For messages and metrics: "docker". */
  readonly engine: string;
  /** Throws with what to do when the engine does not answer. */
  ping(): Promise<void>;
  imageExists(tag: string): Promise<boolean>;
  buildImage(tag: string, baseImage: string, log: (line: string) => void, onStep?: BuildProgress): Promise<void>;
  /** The sandbox's container, running with the hardening spec of its config (created, started or recreated). */
  ensureRunning(): Promise<RunningSandbox<Handle>>;
  /** The sandbox's environment as commands must see it (image ENV + container Env). */
  environment(handle: Handle): Promise<string[]>;
  /** Start the daemon in the sandbox and connect to its attached stream. */
  connectDaemon(handle: Handle, launch: DaemonLaunch): Promise<SandboxDaemonClient>;
  /** Start a helper process (the egress relay) with stdin and stdout attached on a connection of its own, not the daemon's. */
  attachHelper(handle: Handle, spec: HelperSpec): Promise<AttachedHelper>;
  /** Addresses of the engine's host as the sandbox side sees it (Docker: the bridge gateways); the egress policy refuses them. */
  hostGatewayAddresses(): Promise<string[]>;
  /** null: no such sandbox; throws when the engine does not answer. */
  state(): Promise<ContainerState | null>;
  stop(): Promise<void>;
  remove(opts: { volumes: boolean }): Promise<void>;
  /**
   * Freeze every process of the sandbox (a restore copies while nothing in it can run); false when there is no
   * sandbox or it would not freeze (the caller then stops it instead).
   */
  freeze(): Promise<boolean>;
  /** Undo `freeze`. */
  thaw(): Promise<void>;
}

/** The engine does not answer (the name predates other engines; tool.ts shows its message as is). */
const notFound = (e: { statusCode?: number }) => (e.statusCode === 404 ? undefined : Promise.reject(e));

export class DockerUnavailableError extends Error {
  override readonly name = 'DockerUnavailableError';
}

/** Docker through dockerode: `new Docker()` honours DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH. */
export class DockerBackend implements SandboxBackend<Docker.Container> {
  readonly engine = 'docker';
  readonly driver: SandboxContainerDriver;

  constructor(private readonly dockerSource: DockerSource, readonly config: SandboxConfig) {
    this.driver = new SandboxContainerDriver(dockerSource, config);
  }

  /** Made (and dockerode loaded) on first use: the server answers `initialize` before that (docker-client.ts). */
  get docker(): Docker {
    return dockerOf(this.dockerSource);
  }

  async ping(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (err) {
      throw new DockerUnavailableError(
        `Docker is not reachable (${(err as Error).message}). Start Docker (Docker Desktop, or \`dockerd\`) and retry; set DOCKER_HOST for a remote engine.`,
      );
    }
  }

  imageExists(tag: string): Promise<boolean> {
    return imageExists(this.docker, tag);
  }

  buildImage(tag: string, baseImage: string, log: (line: string) => void, onStep?: BuildProgress): Promise<void> {
    return buildImage(this.docker, tag, baseImage, log, onStep);
  }

  async ensureRunning(): Promise<RunningSandbox<Docker.Container>> {
    const hostSocketDir = await this.hostSocketDir();
    const { container, ...rest } = await this.driver.ensureRunning(hostSocketDir);
    return { handle: container, ...rest, hostSocketDir };
  }

  private localEngine: Promise<boolean> | null = null;

  private async hostSocketDir(): Promise<string | null> {
    this.localEngine ??= engineIsLocal(this.docker).then(async (local) => {
      if (local) await this.pruneSocketDirs();
      return local;
    });
    if (!(await this.localEngine)) return null;
    const dir = hostSocketDir(containerName(this.config));
    try {
      ensureHostSocketDir(dir);
      return dir;
    } catch {
      return null; // e.g. a base directory that is not ours: the exec streams still work
    }
  }

  async environment(container: Docker.Container): Promise<string[]> {
    return (await container.inspect()).Config.Env ?? [];
  }

  connectDaemon(container: Docker.Container, launch: DaemonLaunch): Promise<SandboxDaemonClient> {
    return SandboxDaemonClient.connect(this.docker, container, launch);
  }

  attachHelper(container: Docker.Container, spec: HelperSpec): Promise<AttachedHelper> {
    return attachExecHelper(container, spec);
  }

  async ensureStoreSidecar(side: StoreSide): Promise<Docker.Container> {
    const spec = sidecarSpec(this.config, side);
    const volume = checkpointVolumeName(this.config);
    if (!(await this.storeExists())) await this.docker.createVolume({ Name: volume, Labels: spec.Labels });
    let c: Docker.Container | null = this.docker.getContainer(spec.name!);
    const info = await c.inspect().catch(() => null);
    if (info && info.Config.Image !== spec.Image) {
      await c.remove({ force: true }).catch(notFound);
      c = null;
    } else if (!info) c = null;
    c ??= await this.docker.createContainer(spec);
    if (!(await c.inspect()).State.Running) await c.start();
    return c;
  }

  openStoreChannel(container: Docker.Container, cmd: string[], onGone: () => void): Promise<StoreChannel> {
    return StoreChannel.open(this.docker, container, cmd, onGone);
  }

  async removeStoreSidecars({ store }: { store: boolean }): Promise<void> {
    for (const side of ['writer', 'restorer'] as const) await this.docker.getContainer(sidecarName(this.config, side)).remove({ force: true }).catch(notFound);
    if (store) await this.docker.getVolume(checkpointVolumeName(this.config)).remove({ force: true }).catch(notFound);
  }

  async storeExists(): Promise<boolean> {
    return !!(await this.docker.getVolume(checkpointVolumeName(this.config)).inspect().catch(() => null));
  }

  /** Once per server: empty socket directories of sandboxes removed outside a server go (host-socket.ts). */
  private async pruneSocketDirs(): Promise<void> {
    const list = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL.managed}=true`] } }).catch(() => null);
    if (list) pruneHostSocketDirs(hostSocketBase(), new Set(list.flatMap((c) => c.Names.map((n) => n.replace(/^\//, '')))));
  }

  async hostGatewayAddresses(): Promise<string[]> {
    const bridge = (await this.docker.getNetwork('bridge').inspect().catch(() => ({}))) as { IPAM?: { Config?: Array<{ Gateway?: string }> } };
    return (bridge.IPAM?.Config ?? []).map((c) => c.Gateway ?? '').filter(Boolean);
  }

  state(): Promise<ContainerState | null> {
    return this.driver.state();
  }

  stop(): Promise<void> {
    return this.driver.stop();
  }

  async remove(opts: { volumes: boolean }): Promise<void> {
    await this.driver.remove(opts);
    // The container (and its mount) is gone: so is its socket directory (a new one is made with the next container).
    if (await this.localEngine) removeHostSocketDir(hostSocketDir(containerName(this.config)));
  }

  /** `docker pause`, tried a few times: the freezer can fail while killed processes are still exiting (runc gives up). */
  async freeze(): Promise<boolean> {
    const container = await this.driver.find();
    if (!container) return false;
    for (let attempt = 0; attempt < 4; attempt++) {
      try {
        await container.pause();
        return true;
      } catch {
        await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
      }
    }
    return false;
  }

  async thaw(): Promise<void> {
    await (await this.driver.find())?.unpause();
  }
}

/**
 * Whether the engine runs on this machine and can bind-mount a directory of ours: a unix socket (no tcp/ssh
 * DOCKER_HOST), Linux, not an engine outside the container this process runs in, and not Docker Desktop (a VM: its
 * file sharing does not carry sockets). SUNA_HOST_SOCKET=off turns it off (the exec streams are used everywhere); =on keeps it on in a
 * container whose engine shares its filesystem.
 */
export async function engineIsLocal(docker: Docker, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (env.SUNA_HOST_SOCKET === 'off' || process.platform !== 'linux') return false;
  const modem = docker.modem as { socketPath?: unknown };
  // A function: docker-modem's default-socket finder (no DOCKER_HOST); a string: DOCKER_HOST=unix://… (not a //./pipe)
  const unixSocket = typeof modem.socketPath === 'function' || (typeof modem.socketPath === 'string' && /^\/[^/]/.test(modem.socketPath));
  if (!unixSocket) return false;
  const info = (await docker.info().catch(() => null)) as { OperatingSystem?: string; Name?: string } | null;
  if (!info || /docker desktop/i.test(info.OperatingSystem ?? '')) return false;
  // In a container, the engine is ours only if it runs in it too (Docker in Docker): same host name. A socket of the
  // host's engine mounted in here would bind the host's path, not ours (and the relay's probe would fail anyway).
  // SUNA_HOST_SOCKET=on says so whatever the names are.
  const inContainer = existsSync('/.dockerenv') || existsSync('/run/.containerenv');
  return !inContainer || env.SUNA_HOST_SOCKET === 'on' || info.Name === hostname();
}
