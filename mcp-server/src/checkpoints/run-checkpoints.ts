// The checkpoint agent_run takes before each run, and the rule that retention never drops the checkpoint of a
// run still going (its changes are `sandbox_diff` from it, its undo is `sandbox_restore` to it).
import type { CheckpointInfo } from '@suna/sandbox';
import type { RunRecord } from '../agent/runs.js';
import type { Runtime } from '../tool.js';

/** Per runtime: checkpoint id → the (live, mutated in place) record of the run that uses it. */
const pins = new WeakMap<Runtime, Map<string, RunRecord>>();

/** Checkpoints retention must keep: those of runs still running. */
export function pinnedCheckpoints(runtime: Runtime): string[] {
  const map = pins.get(runtime);
  if (!map) return [];
  for (const [id, run] of map) if (run.status !== 'running') map.delete(id);
  return [...map.keys()];
}

export function pinCheckpoint(runtime: Runtime, id: string, run: RunRecord): void {
  let map = pins.get(runtime);
  if (!map) pins.set(runtime, (map = new Map()));
  map.set(id, run);
}

/** A checkpoint before a run; a failure does not stop the run, it is reported with it. */
export async function checkpointBeforeRun(runtime: Runtime, task: string): Promise<{ checkpoint?: CheckpointInfo; problem?: string }> {
  try {
    await runtime.sandbox.ensure();
    const label = `before agent run: ${task.replace(/\s+/g, ' ').slice(0, 80)}`;
    return { checkpoint: await runtime.sandbox.checkpoints.create(label, () => pinnedCheckpoints(runtime)) };
  } catch (err) {
    return { problem: (err as Error).message };
  }
}
