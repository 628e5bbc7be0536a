// When the checkpoint store copies its base (sandbox/checkpoints/store-tool.ts `prepare`): while the sandbox is
// idle, before the first checkpoint. Why: a first checkpoint is otherwise a copy of the whole tree (seconds on
// 5,000 files when the disk is busy); against a base it copies only what changed since (issue 19: ≤ 1 s). Asked
// a moment after the sandbox starts and after each workspace sync push (the panel's first push fills the tree),
// only when checkpoints are in use, never once a checkpoint exists, and never to start a stopped sandbox.
import { checkpointsListed } from '../tools/availability.js';
import type { Runtime } from '../tool-context.js';

/** Quiet time before the base is copied: pushes of one sync come in a burst. */
export const BASE_IDLE_MS = 3000;

const timers = new WeakMap<Runtime, NodeJS.Timeout>();
/** Runtimes whose store already has a checkpoint: a base is of no more use there. */
const settled = new WeakSet<Runtime>();

export function prepareBaseWhenIdle(runtime: Runtime, delayMs = BASE_IDLE_MS): void {
  if (settled.has(runtime) || !checkpointsListed(runtime.config)) return;
  clearTimeout(timers.get(runtime));
  const timer = setTimeout(() => {
    timers.delete(runtime);
    if (!runtime.sandbox.running) return; // stopped, or not started yet: the next push or start asks again
    void runtime.sandbox.checkpoints.prepareBase().then(
      (r) => {
        if (!r.made) settled.add(runtime);
      },
      (e: Error) => runtime.log.info('checkpoint base not made (the first checkpoint copies the whole tree)', { error: e.message.slice(0, 200) }),
    );
  }, delayMs);
  timer.unref();
  timers.set(runtime, timer);
}
