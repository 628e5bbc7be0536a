// How long the host waits for each daemon operation before calling the daemon hung, declared once beside the
// protocol. The daemon enforces command timeouts itself; these only catch a daemon that stopped answering.
import type { DaemonOp } from '../daemon/protocol.js';

/** Extra time over a command's own timeout (or an output wait) before the host gives up on the daemon. */
export const DAEMON_GRACE_MS = 15_000;

/** Default wait per operation, in milliseconds. Walks and large reads get longer than single-path metadata calls. */
export const DAEMON_OP_TIMEOUT_MS: Readonly<Record<DaemonOp, number>> = {
  hello: 15_000,
  exec: 60_000 + DAEMON_GRACE_MS, // callers add the command's own timeout instead (Sandbox.exec)
  cancel: 15_000,
  start: 30_000,
  output: DAEMON_GRACE_MS, // callers add the output wait
  input: 15_000,
  kill: 15_000,
  list: 15_000,
  read: 60_000,
  readLines: 120_000,
  write: 60_000,
  stat: 15_000,
  listdir: 120_000,
  manifest: 300_000, // hashes every file the sync covers (up to 100,000) when the cache cannot vouch for it
  remove: 120_000,
  move: 60_000,
  mkdir: 30_000,
  tunnelOpen: 15_000,
  tunnelWrite: 15_000,
  tunnelAck: 15_000,
  tunnelClose: 15_000,
  extract: 300_000 + DAEMON_GRACE_MS, // callers pass the extraction's own timeout and add the grace
  codeRun: 100_000, // callers add the code's own timeout (Sandbox.codeRun): kernel start, interrupt and restart on top
  codeCancel: 15_000,
  codeReset: 60_000,
};

/**
 * Default wait per operation of the checkpoint store program (sandbox/checkpoints/store-tool.ts, in a store
 * sidecar): a checkpoint or a restore copies whole trees, a listing reads one small record per checkpoint.
 */
export const CHECKPOINT_OP_TIMEOUT_MS = {
  checkpoint: 600_000,
  // The base the first checkpoint is made against: a whole copy of the trees, in the background.
  prepare: 600_000,
  restore: 600_000,
  diff: 300_000,
  // A listing waits for the links the previous checkpoint makes after its answer (incremental.ts).
  list: 300_000,
  size: 300_000,
} as const satisfies Record<string, number>;
export type CheckpointOp = keyof typeof CHECKPOINT_OP_TIMEOUT_MS;
