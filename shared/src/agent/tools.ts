// Running one model turn's tool calls: which may overlap, and turning every outcome (including a
// throw, an unknown tool or bad arguments) into a result the model can read.

import type { ToolHost, ToolResultPart, ToolSpec } from './types.js';

export interface ToolCallRequest {
  id: string;
  name: string;
  args: Record<string, unknown>;
  argsError?: string;
}

export interface ToolCallOutcome {
  result: ToolResultPart;
  ok: boolean;
  durationMs: number;
}

/**
 * Groups calls into batches run one after another: consecutive read-only calls share a batch (they run
 * together); any other call is a batch of its own, so a write is never reordered around a read.
 */
export function planBatches<T extends { name: string }>(calls: T[], specs: ReadonlyMap<string, ToolSpec>): T[][] {
  const batches: T[][] = [];
  let reads: T[] = [];
  for (const call of calls) {
    if (specs.get(call.name)?.readOnly) {
      reads.push(call);
      continue;
    }
    if (reads.length > 0) batches.push(reads);
    reads = [];
    batches.push([call]);
  }
  if (reads.length > 0) batches.push(reads);
  return batches;
}

export async function executeToolCall(
  call: ToolCallRequest,
  host: ToolHost,
  specs: ReadonlyMap<string, ToolSpec>,
  signal: AbortSignal,
): Promise<ToolCallOutcome> {
  const started = performance.now();
  const done = (text: string, isError: boolean, images?: ToolResultPart['images']): ToolCallOutcome => ({
    result: {
      type: 'tool_result',
      callId: call.id,
      name: call.name,
      text,
      ...(images?.length ? { images } : {}),
      ...(isError ? { isError: true } : {}),
    },
    ok: !isError,
    durationMs: Math.round((performance.now() - started) * 100) / 100,
  });
  if (!specs.has(call.name)) {
    return done(`There is no tool named "${call.name}". Available tools: ${[...specs.keys()].join(', ')}.`, true);
  }
  if (call.argsError) {
    return done(`The call was not run: ${call.argsError}. Call ${call.name} again with a JSON object matching its schema.`, true);
  }
  try {
    const result = await host.callTool(call.name, call.args, signal);
    return done(result.text || '(no output)', result.isError === true, result.images);
  } catch (err) {
    return done(`${call.name} failed: ${err instanceof Error ? err.message : String(err)}`, true);
  }
}

/** One line for a UI row: the first non-empty line of the output, clipped. */
export function summarizeResult(result: ToolResultPart): string {
  const line = result.text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  const clipped = line.length > 120 ? `${line.slice(0, 117)}...` : line;
  const images = result.images?.length ? ` (+${result.images.length} image${result.images.length > 1 ? 's' : ''})` : '';
  return `${result.isError ? 'error: ' : ''}${clipped}${images}`;
}

export function cancelledResult(call: { id: string; name: string }): ToolResultPart {
  return { type: 'tool_result', callId: call.id, name: call.name, text: 'Cancelled before it finished.', isError: true };
}
