// Checkpoints from the panel, over the server connection: one before each run, "Restore to here" (the sandbox goes
// back with sandbox_restore, then the workspace follows through the sync's pull with the user's later edits guarded),
// and a run's changes (sandbox_diff from its checkpoint) with per-file Undo (sandbox_restore {paths}). No VS Code here.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { canRestoreTo, runChangesFrom, type RunChanges, type RunCheckpoint } from '../common/checkpoints.js';
import { syncPathProblem } from '@suna/shared/boundary/sandbox-path';
import { resultText } from './server-connection.js';

/** The server calls this needs (ServerConnection has them). */
export interface CheckpointServer {
  callTool(name: string, args: Record<string, unknown>, opts?: { timeoutMs?: number }): Promise<CallToolResult>;
}

/** The workspace side: the sync engine's pull after a restore (absent when the workspace is not synced). */
export interface WorkspaceFollow {
  pullAfterRestore(since: number, paths?: string[]): Promise<void>;
  /** Files whose user edits were pushed since `since`; null when that is not known (the log forgot, or restarted). */
  savedByUserSince(since: number): ReadonlySet<string> | null;
}

export class CheckpointCallError extends Error {
  override readonly name = 'CheckpointCallError';
}

const CHECKPOINT_ID = /^ck-[0-9a-z]{6,12}-[0-9a-f]{6}$/;

async function call(server: CheckpointServer, name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = await server.callTool(name, args, { timeoutMs: 600_000 });
  // The server's words (it redacts and caps them); cut again for a notification.
  if (r.isError) throw new CheckpointCallError(resultText(r).slice(0, 400));
  return (r.structuredContent ?? {}) as Record<string, unknown>;
}

/** A checkpoint of the sandbox now: its id; undefined when the server offers no checkpoints (its tool sets leave them out). */
export async function takeCheckpoint(server: CheckpointServer, label: string): Promise<string | undefined> {
  let answer: Record<string, unknown>;
  try {
    answer = await call(server, 'sandbox_checkpoint', { label: label.slice(0, 200) });
  } catch (err) {
    if (/sandbox_checkpoint not found|unknown tool/i.test((err as Error).message)) return undefined;
    throw err;
  }
  const id = answer.id;
  if (typeof id !== 'string' || !CHECKPOINT_ID.test(id)) throw new CheckpointCallError('the server answered without a checkpoint id');
  return id;
}

/** What restoring a message needs from the chat session (ChatSession has it). */
export interface RestorableSession {
  readonly running: boolean;
  readonly conversation: { items: Array<{ kind: string; undone?: boolean; checkpoint?: RunCheckpoint }> };
  markRestored(index: number, before: string): void;
}

/**
 * "Restore to here" on the user message at `index`: the sandbox goes back to its run's checkpoint (the server
 * checkpoints the present first and stops the sandbox's processes), the workspace follows, the transcript marks it.
 * Returns the id of the checkpoint holding the state before the restore.
 */
export async function restoreToMessage(session: RestorableSession, index: number, server: CheckpointServer, follow: Pick<WorkspaceFollow, 'pullAfterRestore'> | undefined): Promise<string> {
  if (session.running) throw new CheckpointCallError('stop the running agent first');
  if (!canRestoreTo(session.conversation.items, index)) throw new CheckpointCallError('this message has no checkpoint to restore');
  const ck = session.conversation.items[index]!.checkpoint!;
  const r = await call(server, 'sandbox_restore', { id: ck.id });
  const before = typeof r.before_restore === 'string' && CHECKPOINT_ID.test(r.before_restore) ? r.before_restore : 'unknown';
  // The transcript first: the sandbox has gone back whatever the workspace's pull says.
  session.markRestored(index, before);
  await follow?.pullAfterRestore(ck.at);
  return before;
}

/** The files a run changed in the workspace (from its checkpoint to now), with their text at the checkpoint. */
export async function runChanges(server: CheckpointServer, ck: RunCheckpoint): Promise<RunChanges> {
  return runChangesFrom(await call(server, 'sandbox_diff', { from: ck.id, with_before: true }));
}

/** One file of a run undone: back to the run's checkpoint in the sandbox, then into the workspace (guarded). */
export async function undoFile(server: CheckpointServer, follow: Pick<WorkspaceFollow, 'pullAfterRestore'> | undefined, ck: RunCheckpoint, path: string): Promise<void> {
  const problem = syncPathProblem(path);
  if (problem) throw new CheckpointCallError(`cannot undo ${JSON.stringify(path.slice(0, 120))}: ${problem}`);
  await call(server, 'sandbox_restore', { id: ck.id, paths: [`/workspace/${path}`] });
  await follow?.pullAfterRestore(ck.at, [path]);
}
