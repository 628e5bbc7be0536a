// agent_run / agent_status / agent_cancel / agent_list: a whole agent loop behind a start → poll contract,
// because clients such as Claude Desktop give up on a tool call after about 60 s.
import { ProviderError } from '@suna/shared/agent/index';
import { z } from 'zod';
import type { RunEvent, RunRecord } from '../agent/run-store.js';
import { checkpointBeforeRun, pinCheckpoint } from '../checkpoints/run-checkpoints.js';
import { defineTool, ToolError, type ToolContext } from '../tool.js';

const MAX_WAIT_S = 50;
const DEFAULT_WAIT_S = 30;

function renderEvent(e: RunEvent): string {
  switch (e.type) {
    case 'text':
      return `[step ${e.step}] ${e.text}`;
    case 'tool':
      return `[step ${e.step}] ${e.ok ? '✓' : '✗'} ${e.name} ${e.args} → ${e.summary} (${e.ms} ms)`;
    case 'note':
      return `(${e.text})`;
    case 'end':
      return `[end: ${e.status}]${e.error ? ` ${e.error}` : ''}`;
  }
}

/** The compact reply shared by agent_run and agent_status: header, new events, answer, how to continue. */
function replyWithRun(ctx: ToolContext, r: RunRecord, cursor: number): void {
  const secs = (((r.endedAt ?? Date.now()) - r.createdAt) / 1000).toFixed(1);
  const events = r.events.slice(cursor);
  const lines = [
    `run ${r.id}: ${r.status} · ${r.steps} steps · ${secs} s · ${r.usage.inputTokens} tokens in / ${r.usage.outputTokens} out · ${r.model}`,
    ...(r.checkpoint && cursor === 0 ? [`checkpoint ${r.checkpoint} taken before the run: sandbox_diff {"from": "${r.checkpoint}"} shows its changes, sandbox_restore {"id": "${r.checkpoint}"} undoes them`] : []),
    ...events.filter((e) => e.type !== 'end').map(renderEvent),
  ];
  if (r.status === 'running') lines.push(`Still running. Call agent_status {"run_id": "${r.id}", "cursor": ${r.events.length}, "wait_s": 30} for what comes next.`);
  else if (r.answer) lines.push('', `answer:\n${r.answer}`);
  else if (r.error) lines.push('', `error: ${r.error}`);
  ctx.reply.text(lines.join('\n'));
  ctx.reply.structuredContent({
    run_id: r.id,
    status: r.status,
    steps: r.steps,
    ...(r.checkpoint ? { checkpoint: r.checkpoint } : {}),
    cursor: r.events.length,
    events,
    ...(r.answer !== undefined ? { answer: r.answer } : {}),
    ...(r.error !== undefined ? { error: r.error } : {}),
    usage: r.usage,
  });
}

async function waitAndReply(ctx: ToolContext, runId: string, cursor: number, waitS: number, untilEnd: boolean): Promise<void> {
  const runs = ctx.runtime.runs;
  let sent = cursor;
  const r = await runs.wait(runId, cursor, Math.round(waitS * 1000), ctx.signal, (rec) => {
    // Progress: one notification per new transcript line (monotonic), with the latest line as message.
    if (rec.events.length > sent) {
      sent = rec.events.length;
      void ctx.progress(sent, undefined, renderEvent(rec.events.at(-1)!).slice(0, 200));
    }
  }, untilEnd);
  if (!r) throw new ToolError(`no run ${runId}; agent_list shows the known runs`);
  replyWithRun(ctx, r, Math.min(cursor, r.events.length));
  // A run that agent_run started and that failed before returning (no key, bad model) is this call's failure.
  if (untilEnd && r.status === 'failed') ctx.reply.markFailed();
}

export const agentRun = defineTool({
  name: 'agent_run',
  sandboxFree: true,
  title: 'Run an agent',
  kind: 'exec',
  uncapped: true,
  description:
    'Run an autonomous agent (an LLM with this sandbox\'s tools) on a task. Returns within wait_s ' +
    `(default ${DEFAULT_WAIT_S}, max ${MAX_WAIT_S}) with run_id, status, steps so far and the answer if done; follow a longer run with agent_status.`,
  input: z.object({
    task: z.string().min(1).max(100_000).describe('What to do, with all it needs to know'),
    model: z.string().max(200).optional().describe('provider:model, e.g. anthropic:claude-sonnet-5-5 (default: server setting)'),
    max_steps: z.number().int().min(1).max(200).optional().describe('Model turns (default 30)'),
    wait_s: z.number().min(0).max(MAX_WAIT_S).optional(),
  }),
  async handle({ task, model, max_steps, wait_s }, ctx) {
    let run: RunRecord;
    // Before the run's first step: a checkpoint of the sandbox, its id on the run, kept while the run goes on.
    const prepare = async (record: RunRecord) => {
      const { checkpoint, problem } = await checkpointBeforeRun(ctx.runtime, task);
      if (!checkpoint) return `no checkpoint was taken before this run (${problem}); its changes cannot be undone with sandbox_restore`;
      record.checkpoint = checkpoint.id;
      pinCheckpoint(ctx.runtime, checkpoint.id, record);
    };
    try {
      run = ctx.runtime.runs.start({ task, model, maxSteps: max_steps ?? 30, prepare });
    } catch (err) {
      if (err instanceof ProviderError) throw new ToolError(err.message);
      throw err;
    }
    await waitAndReply(ctx, run.id, 0, wait_s ?? DEFAULT_WAIT_S, true);
  },
});

export const agentStatus = defineTool({
  name: 'agent_status',
  sandboxFree: true,
  title: 'Follow an agent run',
  kind: 'read',
  uncapped: true,
  description:
    'Events of an agent run after `cursor` (from the previous reply), waiting up to wait_s for news or the end. ' +
    'Finished runs survive a server restart; one in flight then reads as interrupted.',
  input: z.object({
    run_id: z.string().min(1).max(64),
    cursor: z.number().int().min(0).optional().describe('Default 0: all'),
    wait_s: z.number().min(0).max(MAX_WAIT_S).optional().describe(`Seconds (default ${DEFAULT_WAIT_S})`),
  }),
  async handle({ run_id, cursor, wait_s }, ctx) {
    await waitAndReply(ctx, run_id, cursor ?? 0, wait_s ?? DEFAULT_WAIT_S, false);
  },
});

export const agentCancel = defineTool({
  name: 'agent_cancel',
  sandboxFree: true,
  title: 'Cancel an agent run',
  kind: 'destructive',
  uncapped: true,
  description: 'Stop an agent run, cancelling its model call and running tool.',
  input: z.object({ run_id: z.string().min(1).max(64) }),
  async handle({ run_id }, ctx) {
    const runs = ctx.runtime.runs;
    const before = await runs.get(run_id);
    if (!before) throw new ToolError(`no run ${run_id}; agent_list shows the known runs`);
    if (!(await runs.cancel(run_id))) {
      ctx.reply.text(`run ${run_id} is not running (${before.status})`);
      return;
    }
    const r = await runs.wait(run_id, before.events.length, 5000, ctx.signal, undefined, true);
    ctx.reply.text(`run ${run_id}: ${r?.status ?? 'cancelling'}`);
  },
});

export const agentList = defineTool({
  name: 'agent_list',
  sandboxFree: true,
  title: 'List agent runs',
  kind: 'read',
  uncapped: true,
  description: 'Recent agent runs, newest first: id, status, steps, task.',
  input: z.object({}),
  async handle(_args, ctx) {
    const runs = await ctx.runtime.runs.list();
    ctx.reply.text(runs.length ? runs.map((r) => `${r.id}  ${r.status.padEnd(13)} ${String(r.steps).padStart(3)} steps  ${r.task.replace(/\s+/g, ' ').slice(0, 80)}`).join('\n') : 'no agent runs yet');
    ctx.reply.structuredContent({ runs: runs.map((r) => ({ run_id: r.id, status: r.status, steps: r.steps, task: r.task.slice(0, 200), model: r.model, created_at: new Date(r.createdAt).toISOString() })) });
  },
});

export const agentTools = [agentRun, agentStatus, agentCancel, agentList];
