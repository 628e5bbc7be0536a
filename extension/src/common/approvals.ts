// The approval policy: the ONE place that decides whether a tool call runs at once or waits for the
// user's Approve / Deny. It reads only the tool's MCP annotations (which the server derives from one
// per-tool kind), never tool names, so a new tool is covered the day it appears.

export type ApprovalMode = 'ask' | 'auto-read' | 'auto';

export const APPROVAL_MODES: readonly ApprovalMode[] = ['ask', 'auto-read', 'auto'];

/** The subset of MCP ToolAnnotations the policy reads. Missing hints take the spec's cautious defaults. */
export interface ToolHints {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  openWorldHint?: boolean;
}

export type Decision = 'run' | 'ask';

/** Unknown or missing values fall back to the safest mode. */
export function parseApprovalMode(value: unknown): ApprovalMode {
  return APPROVAL_MODES.includes(value as ApprovalMode) ? (value as ApprovalMode) : 'ask';
}

/** Read-only per the annotations; the spec's default for a missing readOnlyHint is false. */
export function isReadOnly(hints: ToolHints | undefined): boolean {
  return hints?.readOnlyHint === true;
}

/** Open-world per the annotations; the spec's default for a missing openWorldHint is true. */
export function isOpenWorld(hints: ToolHints | undefined): boolean {
  return hints?.openWorldHint !== false;
}

/**
 * - `auto`: everything runs.
 * - `auto-read`: read-only tools run (including reads of the outside world, e.g. web search); others ask.
 * - `ask`: only read-only tools that stay inside the sandbox run; everything else asks, including reads
 *   that reach the outside world.
 * A tool the user chose "Always allow" for (in this workspace) runs in every mode.
 */
export function decide(mode: ApprovalMode, hints: ToolHints | undefined, alwaysAllowed = false): Decision {
  if (alwaysAllowed) return 'run';
  switch (mode) {
    case 'auto':
      return 'run';
    case 'auto-read':
      return isReadOnly(hints) ? 'run' : 'ask';
    case 'ask':
      return isReadOnly(hints) && !isOpenWorld(hints) ? 'run' : 'ask';
  }
}

/** What the model reads for a call the user denied. */
export function deniedText(toolName: string): string {
  return `The user denied this ${toolName} call, so it was not run. Do not repeat it; continue another way or ask the user what they want instead.`;
}

/**
 * One line for the approval prompt in a tool card, from the same annotations: code that runs, data that can
 * be deleted, the outside world reached (a browser page, a published port), files changed, or an outside read.
 */
export function approvalReason(hints: ToolHints | undefined): string {
  const readOnly = isReadOnly(hints);
  const destructive = hints?.destructiveHint !== false && !readOnly;
  if (destructive && isOpenWorld(hints)) return 'runs code in the sandbox that can change or delete files and reach the network';
  if (destructive) return 'can change or delete data in the sandbox';
  if (!readOnly && isOpenWorld(hints)) return 'acts on the outside world from the sandbox (web pages it opens, ports or sites it publishes)';
  if (!readOnly) return 'changes files in the sandbox';
  return 'reaches the outside world';
}

/** Tool names the user chose "Always allow" for (a workspace setting, revocable there); junk entries are dropped. */
export function parseAlwaysAllowed(value: unknown): Set<string> {
  return new Set(Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && /^[\w.-]{1,128}$/.test(v)) : []);
}
