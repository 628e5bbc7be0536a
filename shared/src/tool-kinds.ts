// One tool "kind" decides the MCP annotations of every tool, and from them the extension's approval rule
// and the agent loop's parallel-execution rule. Tools never set annotations by hand.

export type ToolKind =
  | 'read' //        looks at the sandbox, changes nothing
  | 'write' //       creates or changes files in the sandbox
  | 'destructive' // deletes or replaces data (file_delete, sandbox_reset)
  | 'exec' //        runs arbitrary code in the sandbox, which can do anything the sandbox allows
  | 'external' //    reads from the outside world (web search, scrape), changes nothing here
  | 'browse' //      acts in the sandbox's browser: pages can reach the outside world and forms can submit
  | 'publish'; //    makes something visible outside the sandbox (expose a port, deploy a site)

export interface ToolAnnotations {
  title?: string;
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

const TABLE: Record<ToolKind, Omit<ToolAnnotations, 'title'>> = {
  read: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  write: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  destructive: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  exec: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  external: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  browse: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  publish: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
};

export function annotationsFor(kind: ToolKind, title?: string): ToolAnnotations {
  return { ...(title ? { title } : {}), ...TABLE[kind] };
}

/**
 * The annotations as tools/list sends them, shorter (every byte of tools/list is paid by every turn of every
 * conversation) but never less cautious: a hint is left out only where a missing hint reads the same in both readings
 * a client may apply — the spec's defaults and "missing is false". That is readOnlyHint and idempotentHint when false,
 * and destructive/idempotent on read-only tools, where the spec says they mean nothing. destructiveHint and
 * openWorldHint are always sent on the others (their spec default is true, a naive client's is false).
 */
export function compactAnnotations(kind: ToolKind): Partial<ToolAnnotations> {
  const full = TABLE[kind];
  if (full.readOnlyHint) return { readOnlyHint: true, openWorldHint: full.openWorldHint };
  return { destructiveHint: full.destructiveHint, ...(full.idempotentHint ? { idempotentHint: true } : {}), openWorldHint: full.openWorldHint };
}

/** Read-only per the annotations (spec defaults apply to missing hints: readOnlyHint defaults to false). */
export function isReadOnly(annotations: Partial<ToolAnnotations> | undefined): boolean {
  return annotations?.readOnlyHint === true;
}
