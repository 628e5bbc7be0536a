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

const SPEC_DEFAULTS: Omit<ToolAnnotations, 'title'> = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true };

/**
 * The annotations as tools/list sends them: hints equal to the MCP spec's defaults are left out (every byte of
 * tools/list is paid by every turn of every conversation), and so are destructive/idempotent on read-only tools,
 * where the spec says they mean nothing. A client applying the spec reads exactly what annotationsFor says.
 */
export function compactAnnotations(kind: ToolKind): Partial<ToolAnnotations> {
  const full = TABLE[kind];
  const out: Partial<ToolAnnotations> = {};
  for (const key of Object.keys(full) as (keyof typeof full)[]) {
    if (full.readOnlyHint && (key === 'destructiveHint' || key === 'idempotentHint')) continue;
    if (full[key] !== SPEC_DEFAULTS[key]) out[key] = full[key];
  }
  return out;
}

/** Read-only per the annotations (spec defaults apply to missing hints: readOnlyHint defaults to false). */
export function isReadOnly(annotations: Partial<ToolAnnotations> | undefined): boolean {
  return annotations?.readOnlyHint === true;
}
