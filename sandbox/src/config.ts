// What a sandbox is made of. The server maps its CLI flags / SUNA_* variables onto this.
import { createHash } from 'node:crypto';
import { assets } from './assets.js';
import type { EgressConfig } from './egress/broker.js';

export type NetworkMode = 'bridge' | 'none';
/** `default`: non-root, read-only root, no capabilities. `apt`: root inside with the few capabilities apt-get needs. */
export type SandboxProfile = 'default' | 'apt';
export type ExitPolicy = 'stop' | 'keep' | 'remove';

export interface SandboxConfig {
  /** Sandbox name; the container is `suna-<name>`, its volumes `suna-<name>-workspace` / `-home`. */
  name: string;
  /** Image to run; built on first use when missing. Empty → the versioned default tag. */
  image: string;
  /** Base for building the image (a registry image, or the offline debootstrap base). */
  baseImage: string;
  memoryMb: number;
  cpus: number;
  pidsLimit: number;
  tmpSizeMb: number;
  network: NetworkMode;
  profile: SandboxProfile;
  /** Remove container and volumes when the owner goes away (tests, throwaway runs). */
  ephemeral: boolean;
  /** Quota of /workspace + home, MiB (0 = none), enforced by the daemon's watchdog (see sandbox/daemon/quota.ts). */
  diskQuotaMb?: number;
  /**
   * Outbound traffic policy (sandbox/src/egress/). The container itself always runs with Docker's `none` network;
   * unless the mode is `none`, a relay inside it is its only way out. Absent: public mode, no allow list.
   */
  egress?: EgressConfig;
  /** How many checkpoints, and how many bytes of them, the store keeps (sandbox/src/checkpoints.ts). */
  checkpointRetention?: CheckpointRetention;
}

export interface CheckpointRetention {
  /** Checkpoints kept at most. */
  count: number;
  /** Bytes the store may hold (0: no cap). Oldest are dropped first; the newest and pinned ones never. */
  bytes: number;
}
export const DEFAULT_CHECKPOINT_RETENTION: CheckpointRetention = { count: 50, bytes: 2 * 1024 ** 3 };

export const DEFAULT_EGRESS: EgressConfig = { mode: 'public', allow: [] };

/** The effective egress policy: `network: none` is an alias of `egress: none`. */
export function egressOf(config: SandboxConfig): EgressConfig {
  if (config.network === 'none') return { ...(config.egress ?? DEFAULT_EGRESS), mode: 'none' };
  return config.egress ?? DEFAULT_EGRESS;
}

export const DEFAULT_DISK_QUOTA_MB = 10240;

export const LABEL = {
  managed: 'dev.suna-mcp.managed',
  sandbox: 'dev.suna-mcp.sandbox',
  checkpointStore: 'dev.suna-mcp.checkpoint-store', // on the store's sidecars and volume: the sandbox they serve
  ephemeral: 'dev.suna-mcp.ephemeral',
  owner: 'dev.suna-mcp.owner', // "<hostname>:<pid>" of the process that created an ephemeral sandbox
  profile: 'dev.suna-mcp.profile',
} as const;

export const SANDBOX_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

/** The default image tag carries a hash of the build context, so a changed image definition is rebuilt. */
export function defaultImageTag(): string {
  const a = assets();
  const h = createHash('sha256').update(a.dockerfile).update(a.setup).update(a.packages).digest('hex').slice(0, 10);
  return `suna-sandbox:${h}`;
}

export function imageOf(config: SandboxConfig): string {
  return config.image || defaultImageTag();
}

export const DEFAULT_SANDBOX_CONFIG: SandboxConfig = {
  name: 'default',
  image: '',
  baseImage: 'debian:bookworm-slim',
  memoryMb: 2048,
  cpus: 2,
  pidsLimit: 512,
  tmpSizeMb: 512,
  network: 'bridge',
  profile: 'default',
  ephemeral: false,
};
