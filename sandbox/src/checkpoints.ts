// Checkpoints of /workspace and the home directory, kept where the agent cannot reach them.
//
// Why this design: the agent's container cannot copy its own files safely (its root has no DAC_OVERRIDE, so it
// cannot read the agent's 0600 files; copying as uid 1000 would let the agent write the store). So the store is
// a Docker volume of its own (`suna-<name>-checkpoints`) that only two **store sidecars** mount, never the agent's
// container. Both run the sandbox image with no network, a read-only root, no-new-privileges, and only what rsync
// needs to read everything and keep owners and modes (CHOWN, DAC_OVERRIDE, FOWNER, FSETID); no agent process ever
// runs in them, and they hold nothing but this sandbox's own data, so there is nothing else to leak.
//   - the writer mounts the agent's volumes READ-ONLY and the store read-write: a symlink or rename raced into the
//     tree during a checkpoint can at worst make rsync read other files of the same sandbox, never write outside
//     the store; rsync copies links as links and writes only the tree it lists;
//   - the restorer mounts the store READ-ONLY and the agent's volumes read-write: during a restore a racing link
//     can only land in the agent's own volumes (and the agent's container is stopped during a restore anyway).
// The engine is rsync with --link-dest hard-link trees: incremental and deduplicated (an unchanged file is a hard
// link), a plain directory per checkpoint (restorable without us), modes, owners, times, symlinks and empty
// directories preserved, and no `.git` anywhere involved (after the first checkpoint the program decides itself what
// changed and gives rsync only that: sandbox/checkpoints/incremental.ts). Operations go to a small program kept running in each sidecar
// (sandbox/checkpoints/store-tool.ts, over checkpoint-channel.ts); its JSON answers are read with a bound and checked here.
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { z } from 'zod';
import { CHECKPOINT_ID, type CheckpointMeta } from '../checkpoints/layout.js';
import { assets } from './assets.js';
import { StoreChannelGone, type StoreChannel } from './checkpoint-channel.js';
import type { StoreBackend, StoreSide } from './checkpoint-sidecar.js';
import { DEFAULT_CHECKPOINT_RETENTION, type CheckpointRetention, type SandboxConfig } from './config.js';
import { DAEMON_NODE } from './container.js';
import { AbortedError } from './daemon-client.js';
import { CHECKPOINT_OP_TIMEOUT_MS, type CheckpointOp } from './op-timeouts.js';

export { CHECKPOINT_ID, EXCLUDES, ROOTS } from '../checkpoints/layout.js';
export { checkpointVolumeName, sidecarName, sidecarSpec, type StoreBackend, type StoreSide } from './checkpoint-sidecar.js';


export interface CheckpointInfo extends Omit<CheckpointMeta, 'previous'> {
  /** Bytes this checkpoint adds to the store (the oldest: all of its files). Only in lists. */
  bytes?: number;
}

export interface RawDiffEntry {
  /** Base64 of the raw name bytes, "workspace/…" or "home/…": attacker data, judged by the caller. */
  p: string;
  c: 'A' | 'M' | 'D';
  t: 'f' | 'd' | 'l' | 'o';
  a?: string;
  b?: string;
}

/** The store program's answers are read from a sidecar that walks the agent's trees: checked before use. */
const InfoSchema = z.object({
  id: z.string().regex(CHECKPOINT_ID),
  label: z.string().max(200),
  createdAt: z.number(),
  changed: z.number().int().min(0),
  files: z.number().int().min(0),
  totalBytes: z.number().min(0),
  addedBytes: z.number().min(0),
  warnings: z.array(z.string().max(600)).max(10),
  bytes: z.number().min(0).optional(),
});
const ListSchema = z.object({ checkpoints: z.array(InfoSchema).max(2000), totalBytes: z.number().min(0) });
const SizeSchema = z.object({ totalBytes: z.number().min(0), count: z.number().int().min(0), baseBytes: z.number().min(0).optional() });
const PrepareSchema = z.object({ made: z.boolean() });
const RestoreSchema = z.object({ warnings: z.array(z.string().max(600)).max(10) });
const DiffSchema = z.object({
  entries: z.array(z.object({ p: z.string().max(8192), c: z.enum(['A', 'M', 'D']), t: z.enum(['f', 'd', 'l', 'o']), a: z.string().optional(), b: z.string().optional() })),
  total: z.number().int().min(0),
});

function checked<T>(schema: z.ZodType<T>, answer: unknown): T {
  const r = schema.safeParse(answer);
  if (!r.success) throw new CheckpointError('the checkpoint store sent a malformed answer');
  return r.data;
}

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
}

export function newCheckpointId(now = Date.now()): string {
  return `ck-${now.toString(36)}-${randomBytes(3).toString('hex')}`;
}

export function assertCheckpointId(id: string): void {
  if (!CHECKPOINT_ID.test(id)) throw new CheckpointError(`"${id.slice(0, 40)}" is not a checkpoint id (ck-…); sandbox_checkpoints lists them`);
}


export class CheckpointStore {
  private ready = new Map<StoreSide, Promise<Docker.Container>>();
  private channels = new Map<StoreSide, Promise<StoreChannel>>();
  /** One operation at a time: two rsyncs into one store would race for "the previous checkpoint". */
  private queue: Promise<unknown> = Promise.resolve();
  /** Moves on each disconnect/remove: background work begun before it starts nothing after it. */
  private epoch = 0;

  constructor(
    private readonly backend: StoreBackend<Docker.Container>,
    private readonly config: SandboxConfig,
    readonly retention: CheckpointRetention = config.checkpointRetention ?? DEFAULT_CHECKPOINT_RETENTION,
  ) {}


  /**
   * Operations in order. The call's signal is honoured while it waits for its turn; once sent, an operation runs
   * to its end (its program cannot stop rsync half-way, and a half copy would only be removed again).
   */
  private serial<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new AbortedError());
    const start = () => (signal?.aborted ? Promise.reject(new AbortedError()) : fn());
    const next = this.queue.then(start, start);
    this.queue = next.catch(() => {});
    return next;
  }

  /** The sidecar, created (or replaced, after an image change) and started on first use. */
  private sidecar(side: StoreSide): Promise<Docker.Container> {
    let p = this.ready.get(side);
    if (!p) {
      p = this.startSidecar(side);
      p.catch(() => this.ready.delete(side));
      this.ready.set(side, p);
    }
    return p;
  }

  private async startSidecar(side: StoreSide): Promise<Docker.Container> {
    const epoch = this.epoch;
    const c = await this.backend.ensureStoreSidecar(side);
    if (epoch !== this.epoch) {
      // The sandbox was shut down meanwhile: leave nothing behind that holds its volumes.
      await this.backend.removeStoreSidecars({ store: false });
      throw new StoreChannelGone('the sandbox was shut down');
    }
    return c;
  }

  /** The sidecar's store program, started once and kept (checkpoint-channel.ts). */
  private channel(side: StoreSide): Promise<StoreChannel> {
    let p = this.channels.get(side);
    if (!p) {
      p = this.sidecar(side).then((c) => this.backend.openStoreChannel(c, [DAEMON_NODE, '-e', assets().checkpointStore, 'suna-checkpoint-store'], () => this.channels.delete(side)));
      p.catch(() => this.channels.delete(side));
      this.channels.set(side, p);
    }
    return p;
  }

  /** One store operation; when the sidecar or its program was gone, it is started again and the call made once more. */
  private async run(side: StoreSide, op: CheckpointOp, args: object, timeoutMs: number = CHECKPOINT_OP_TIMEOUT_MS[op], retry = true): Promise<unknown> {
    const attempt = async () => (await this.channel(side)).request(op, args, timeoutMs);
    let answer: unknown;
    try {
      answer = await attempt();
    } catch (err) {
      const code = (err as { statusCode?: number }).statusCode;
      if (!retry || (!(err instanceof StoreChannelGone) && code !== 404 && code !== 409)) throw err;
      this.ready.delete(side);
      this.channels.delete(side);
      answer = await attempt();
    }
    const a = answer as { ok?: unknown; result?: unknown; error?: unknown };
    if (a?.ok === true) return a.result;
    throw new CheckpointError(typeof a?.error === 'string' ? a.error.slice(0, 500) : 'the checkpoint store gave no answer');
  }

  /** Copy both trees into a new checkpoint, then apply retention (never dropping `keep` or the new one). */
  create(label: string | undefined, keep: () => string[], signal?: AbortSignal): Promise<CheckpointInfo> {
    return this.serial(async () => {
      const id = newCheckpointId();
      const retention = { keep: keep().filter((k) => CHECKPOINT_ID.test(k)), maxCount: this.retention.count, maxBytes: this.retention.bytes };
      const info = checked(InfoSchema, await this.run('writer', 'checkpoint', { id, label: label ?? '', createdAt: Date.now(), retention }));
      if (info.id !== id) throw new CheckpointError('the checkpoint store answered for another checkpoint');
      return info;
    }, signal);
  }

  /**
   * While the sandbox is idle and before the first checkpoint: copy (or bring up to date) the base the first
   * checkpoint is then made against incrementally (store-tool.ts `prepare`). No checkpoint is made or listed; once
   * one exists this does nothing. It waits its turn like any operation, so a checkpoint asked meanwhile waits for it.
   */
  prepareBase(signal?: AbortSignal): Promise<{ made: boolean }> {
    const epoch = this.epoch;
    return this.serial(async () => {
      if (epoch !== this.epoch) return { made: false }; // shut down or reset since it was asked
      return checked(PrepareSchema, await this.run('writer', 'prepare', {}, CHECKPOINT_OP_TIMEOUT_MS.prepare, false));
    }, signal);
  }

  list(signal?: AbortSignal): Promise<{ checkpoints: CheckpointInfo[]; totalBytes: number }> {
    return this.serial(async () => checked(ListSchema, await this.run('writer', 'list', {})), signal);
  }

  diff(from: string, to: string | undefined, limits: { maxEntries: number; maxFileBytes: number; maxTextBytes: number }, signal?: AbortSignal): Promise<{ entries: RawDiffEntry[]; total: number }> {
    assertCheckpointId(from);
    if (to !== undefined) assertCheckpointId(to);
    return this.serial(async () => checked(DiffSchema, await this.run('writer', 'diff', { from, to, ...limits })), signal);
  }

  /**
   * Return both trees to checkpoint `id`. The caller stops the agent's container first (and so sends no signal). With `paths` ("workspace/…",
   * "home/…", checked by the caller), only those entries go back, and the agent's processes may keep running.
   */
  restore(id: string, paths?: string[]): Promise<{ warnings: string[] }> {
    assertCheckpointId(id);
    return this.serial(async () => checked(RestoreSchema, await this.run('restorer', 'restore', { id, ...(paths ? { paths } : {}) })));
  }

  /**
   * Bytes the store holds (with the base copy waiting for the first checkpoint, if any); undefined when it was never
   * used (no sidecar is started just to say so).
   */
  async size(): Promise<{ totalBytes: number; count: number; baseBytes?: number } | undefined> {
    if (!(await this.backend.storeExists())) return undefined;
    return this.serial(async () => checked(SizeSchema, await this.run('writer', 'size', {})));
  }

  /** Remove the sidecars (they hold the agent's volumes); with `store`, the checkpoints too. */
  /** Close the channels to the sidecars' programs (they end; the sidecars stay). */
  disconnect(): void {
    this.epoch++;
    for (const ch of this.channels.values()) void ch.then((c) => c.close(), () => {});
    this.channels.clear();
  }

  async remove({ store }: { store: boolean }): Promise<void> {
    this.disconnect();
    this.ready.clear();
    await this.backend.removeStoreSidecars({ store });
  }
}
