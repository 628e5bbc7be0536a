// sandbox_checkpoint / sandbox_checkpoints / sandbox_diff / sandbox_restore: every change to /workspace and the
// home directory can be looked at and undone. Thin handlers; the store (a volume the agent's container never
// mounts, copied by rsync hard-link trees in store sidecars) is sandbox/src/checkpoints.ts, reached through the
// call's facade (ctx.checkpoints: its signal, the store's timeouts, its errors as words for the model); the
// hostile-name-safe rendering of a diff is ../checkpoints/diff-view.ts.
import { HOME_DIR, WORKSPACE_ROOT, type CheckpointInfo } from '@suna/sandbox';
import { quotePath, sandboxPathProblem } from '@suna/shared';
import { z } from 'zod';
import { DIFF_LIMITS, renderDiff } from '../checkpoints/diff-view.js';
import { pinnedCheckpoints } from '../checkpoints/run-checkpoints.js';
import { defineTool, ToolError, type ToolContext } from '../tool.js';
import { closeExposedPorts } from './ports.js';
import { forgetOutputCursors } from './shell.js';

const ID = z.string().max(40).describe('Checkpoint id (ck-…)');

function size(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.round(bytes / 1024)} KiB` : `${(bytes / 1048576).toFixed(1)} MiB`;
}

function describe(c: CheckpointInfo): Record<string, unknown> {
  return { id: c.id, label: c.label, created_at: new Date(c.createdAt).toISOString(), files: c.files, changed: c.changed, ...(c.bytes !== undefined ? { bytes: c.bytes } : {}) };
}

async function closePorts(ctx: ToolContext): Promise<number> {
  // The servers behind exposed ports are killed: the forwards would lead nowhere, so they are closed (as sandbox_reset does).
  forgetOutputCursors(ctx.runtime);
  return closeExposedPorts(ctx.runtime);
}

/**
 * The agent of an agent_run may undo its own work, not the user's: it may restore its run's pre-run checkpoint
 * or one taken since (by itself, or by a restore it made), never an older one. That checkpoint stays pinned
 * (retention keeps it) and a restore only adds checkpoints, so the panel's "Restore to here" and the run's
 * `sandbox_diff` keep their base whatever the agent restores. A run without its own checkpoint restores nothing.
 */
function assertWithinRun(run: NonNullable<ToolContext['run']>, target: CheckpointInfo, all: CheckpointInfo[]): void {
  // The store lists oldest first (by time, then id): the position says what is older.
  const own = run.checkpoint ? all.findIndex((c) => c.id === run.checkpoint) : -1;
  if (own < 0) throw new ToolError('this agent run has no checkpoint of its own, so it cannot restore; the user can, with sandbox_restore');
  if (all.indexOf(target) < own)
    throw new ToolError(`${target.id} is older than this run (its checkpoint is ${run.checkpoint}): an agent run may restore only its own checkpoint or later ones; older ones are the user's to restore`);
}

/**
 * A run restores only while no other run works in the sandbox: any run still going was active after every
 * checkpoint older than now, so a restore (of the whole trees or of some paths) could undo its changes.
 * Refused rather than scoped: which files another run changed is not known until it ends.
 */
function assertAlone(run: NonNullable<ToolContext['run']>, running: Array<{ id: string }>): void {
  const others = running.filter((r) => r.id !== run.id).map((r) => r.id);
  if (others.length)
    throw new ToolError(`another agent run is working in this sandbox (${others.slice(0, 3).join(', ')}): a restore now could undo its changes. Finish without restoring and say what should be undone, or restore after that run has ended`);
}

/**
 * The user's whole restore stops every process in the sandbox and rewinds the trees under a run that is still
 * working: refused with what to do. Restoring some paths is allowed (the user picked them; nothing is stopped).
 */
function assertNoRunWorking(running: Array<{ id: string }>): void {
  if (running.length)
    throw new ToolError(`agent run ${running[0]!.id} is working in this sandbox: a whole restore now would stop its commands and undo its changes under it. agent_cancel {"run_id": "${running[0]!.id}"} first (or wait for it to end), or restore only some paths`);
}

export const sandboxCheckpoint = defineTool({
  name: 'sandbox_checkpoint',
  title: 'Checkpoint the sandbox',
  kind: 'write',
  description:
    'Save /workspace and the home directory (not ~/.cache) as a checkpoint; returns its id. Incremental, so cheap. ' +
    'sandbox_diff shows what changed since, sandbox_restore returns to it.',
  input: z.object({ label: z.string().max(200).optional().describe('e.g. "before the refactor"') }),
  async handle({ label }, ctx) {
    await ctx.sandbox.ensure();
    const c = await ctx.checkpoints.create(label, () => pinnedCheckpoints(ctx.runtime));
    const warn = c.warnings.length ? `\nwarning: ${c.warnings.join('; ')}` : '';
    ctx.reply.text(`checkpoint ${c.id}${c.label ? ` "${c.label}"` : ''}: ${c.files} entries, ${c.changed} changed since the previous, ${size(c.addedBytes)} new${warn}`);
    ctx.reply.structuredContent(describe(c));
  },
});

export const sandboxCheckpoints = defineTool({
  name: 'sandbox_checkpoints',
  title: 'List checkpoints',
  kind: 'read',
  description:
    'Checkpoints of this sandbox, oldest first: id, label, time, entries changed and space added. The oldest go first beyond 50 or 2 GiB (--checkpoint-retention).',
  input: z.object({}),
  async handle(_args, ctx) {
    await ctx.sandbox.ensure();
    const { checkpoints, totalBytes } = await ctx.checkpoints.list();
    const pinned = new Set(pinnedCheckpoints(ctx.runtime));
    const lines = checkpoints.map(
      (c) => `${c.id}  ${new Date(c.createdAt).toISOString().replace('T', ' ').slice(0, 19)}  ${String(c.changed).padStart(5)} changed  ${size(c.bytes ?? 0).padStart(10)}  ${c.label}${pinned.has(c.id) ? '  (used by a running agent_run)' : ''}`,
    );
    ctx.reply.text(checkpoints.length ? [...lines, `${checkpoints.length} checkpoints, ${size(totalBytes)} in the store`].join('\n') : 'no checkpoints yet; sandbox_checkpoint takes one');
    ctx.reply.structuredContent({ checkpoints: checkpoints.map(describe), total_bytes: totalBytes });
  },
});

export const sandboxDiff = defineTool({
  name: 'sandbox_diff',
  title: 'Changes since a checkpoint',
  kind: 'read',
  description:
    `Files added, changed and removed in /workspace and home between checkpoints \`from\` and \`to\` (default: now), with diffs of small text files. At most ${DIFF_LIMITS.maxEntries} paths.`,
  input: z.object({
    from: ID,
    to: ID.optional().describe('Default: now'),
    with_before: z.boolean().optional().describe("For editors: each small text file's content at `from`, in the structured result"),
  }),
  async handle({ from, to, with_before }, ctx) {
    await ctx.sandbox.ensure();
    const raw = await ctx.checkpoints.diff(from, to, DIFF_LIMITS);
    const view = renderDiff(raw, from, to, { withBefore: with_before === true });
    ctx.reply.text(view.total ? view.text : `no changes from ${from} to ${to ?? 'now'}`);
    ctx.reply.structuredContent({ from, to: to ?? 'now', total: view.total, changes: view.items });
  },
});

export const sandboxRestore = defineTool({
  name: 'sandbox_restore',
  title: 'Restore a checkpoint',
  kind: 'destructive',
  description:
    'Return /workspace and home to a checkpoint: newer files deleted, changed ones put back, every process (jobs, servers, browser) stopped. ' +
    'The present is checkpointed first: the id returned undoes the restore. With `paths`, only those files go back and nothing is stopped. ' +
    "Inside agent_run: only the run's own checkpoint or later ones.",
  input: z.object({
    id: ID,
    paths: z
      .array(z.string().max(1100))
      .min(1)
      .max(1000)
      .optional()
      .describe('Only these files (as sandbox_diff lists them, or relative to /workspace); one absent at the checkpoint is deleted'),
  }),
  async handle({ id, paths }, ctx) {
    const entries = paths?.map(storePath);
    await ctx.sandbox.ensure();
    const known = await ctx.checkpoints.list();
    const target = known.checkpoints.find((c) => c.id === id);
    if (!target) throw new ToolError(`no checkpoint ${JSON.stringify(id.slice(0, 40))}; sandbox_checkpoints lists them`);
    if (ctx.run) assertAlone(ctx.run, ctx.runtime.runs.runningRecords());
    else if (!entries) assertNoRunWorking(ctx.runtime.runs.runningRecords());
    if (ctx.run) assertWithinRun(ctx.run, target, known.checkpoints);
    if (entries) return restoreEntries(ctx, id, entries);
    const closed = await closePorts(ctx);
    const r = await ctx.checkpoints.restore(id, () => pinnedCheckpoints(ctx.runtime));
    const lines = [
      `restored ${id}: /workspace and the home directory are as they were then.`,
      `Every process the agent had started was stopped (commands, background jobs, servers, the browser)${closed ? `; ${closed} exposed port${closed === 1 ? ' was' : 's were'} closed` : ''}.`,
      `The state before the restore is checkpoint ${r.before.id}: sandbox_restore {"id": "${r.before.id}"} undoes this restore.`,
      ...r.warnings.map((w) => `warning: ${w}`),
    ];
    ctx.reply.text(lines.join('\n'));
    ctx.reply.structuredContent({ restored: id, before_restore: r.before.id, processes_stopped: true, ports_closed: closed });
  },
});

/** "/workspace/a", "/home/user/b" or "a" (relative to /workspace) → the store's "workspace/a", "home/b"; anything else is refused. */
function storePath(p: string): string {
  const [root, rel] = p.startsWith(`${WORKSPACE_ROOT}/`) ? ['workspace', p.slice(WORKSPACE_ROOT.length + 1)] : p.startsWith(`${HOME_DIR}/`) ? ['home', p.slice(HOME_DIR.length + 1)] : ['workspace', p];
  const problem = sandboxPathProblem(rel);
  if (problem) throw new ToolError(`paths: ${quotePath(p)} ${problem}; give paths inside /workspace or the home directory as sandbox_diff lists them`);
  return `${root}/${rel}`;
}

/** Some files back to a checkpoint: the present is checkpointed first (undo), nothing is stopped. */
async function restoreEntries(ctx: ToolContext, id: string, entries: string[]): Promise<void> {
  const keep = () => [...pinnedCheckpoints(ctx.runtime), id];
  const before = await ctx.checkpoints.create(`before restoring ${entries.length} file${entries.length === 1 ? '' : 's'} of ${id}`, keep);
  const r = await ctx.checkpoints.restorePaths(id, entries);
  ctx.reply.text(
    [
      `restored ${entries.length} path${entries.length === 1 ? '' : 's'} to ${id} (each as it was then, or deleted if it did not exist); nothing else changed and no process was stopped.`,
      `The state before is checkpoint ${before.id}: sandbox_restore {"id": "${before.id}", "paths": [...]} undoes it.`,
      ...r.warnings.map((w) => `warning: ${w}`),
    ].join('\n'),
  );
  ctx.reply.structuredContent({ restored: id, before_restore: before.id, paths: entries.length, processes_stopped: false, ports_closed: 0 });
}

export const checkpointTools = [sandboxCheckpoint, sandboxCheckpoints, sandboxDiff, sandboxRestore];
