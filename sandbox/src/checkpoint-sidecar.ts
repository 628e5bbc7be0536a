// The checkpoint store's two sidecars as the engine makes them: names, volume, and the hardened spec
// (checkpoints.ts says what they are for and why each side mounts what it does). Shared by the store and the
// backend that runs them, so neither imports the other.
import { hostname } from 'node:os';
import type Docker from 'dockerode';
import { imageOf, LABEL, type SandboxConfig } from './config.js';
import { volumeNames } from './container.js';
import type { StoreChannel } from './checkpoint-channel.js';

const STORE_CAPS = ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID'];

export type StoreSide = 'writer' | 'restorer';

export function checkpointVolumeName(config: SandboxConfig): string {
  return `suna-${config.name}-checkpoints`;
}
export function sidecarName(config: SandboxConfig, side: StoreSide): string {
  return `suna-${config.name}-ckpt-${side}`;
}

/** The sidecar: the store and the agent's volumes, one side read-only (see the header for which and why). */
export function sidecarSpec(config: SandboxConfig, side: StoreSide): Docker.ContainerCreateOptions {
  const vols = volumeNames(config);
  const labels: Record<string, string> = { [LABEL.managed]: 'true', [LABEL.checkpointStore]: config.name };
  if (config.ephemeral) Object.assign(labels, { [LABEL.ephemeral]: 'true', [LABEL.owner]: labelOwner() });
  const agentTrees = side === 'writer' ? '/src' : '/dst';
  return {
    name: sidecarName(config, side),
    Image: imageOf(config),
    Cmd: ['sleep', 'infinity'],
    User: '0:0',
    WorkingDir: '/',
    Labels: labels,
    Hostname: 'checkpoint-store',
    Env: [],
    HostConfig: {
      Init: true,
      ReadonlyRootfs: true,
      CapDrop: ['ALL'],
      CapAdd: STORE_CAPS,
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      NetworkMode: 'none',
      Memory: 512 * 1024 * 1024,
      MemorySwap: 512 * 1024 * 1024,
      PidsLimit: 64,
      Tmpfs: { '/tmp': 'rw,noexec,nosuid,nodev,size=16m' },
      Mounts: [
        { Type: 'volume', Source: vols.workspace, Target: `${agentTrees}/workspace`, ReadOnly: side === 'writer' },
        { Type: 'volume', Source: vols.home, Target: `${agentTrees}/home`, ReadOnly: side === 'writer' },
        { Type: 'volume', Source: checkpointVolumeName(config), Target: '/store', ReadOnly: side === 'restorer' },
      ],
      RestartPolicy: { Name: 'no' },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '64k', 'max-file': '1' } },
    },
  };
}

/** Same "<host>:<pid>" as the sandbox's own ephemeral labels, so the orphan reaper removes the sidecars too. */
function labelOwner(): string {
  return `${hostname()}:${process.pid}`;
}

/** What the engine does for the store (backend.ts implements it): the sidecars' lifecycle and their program's channel. */
export interface StoreBackend<Handle> {
  /** The sidecar of this side, its store volume made, the container created (or replaced after an image change) and started. */
  ensureStoreSidecar(side: StoreSide): Promise<Handle>;
  /** The store program started in it, as a request/answer line channel (checkpoint-channel.ts). */
  openStoreChannel(handle: Handle, cmd: string[], onGone: () => void): Promise<StoreChannel>;
  /** Both sidecars removed; with `store`, the checkpoints' volume too. */
  removeStoreSidecars(opts: { store: boolean }): Promise<void>;
  /** Whether the store volume exists (nothing is made to find out). */
  storeExists(): Promise<boolean>;
}
