// Workspace files as MCP resources, so a client (Claude Desktop's attachment menu, the Inspector, any SDK
// client) can list and fetch what the agent produced — a spreadsheet, a chart — without the model retyping it.
// One template, sandbox://workspace/{+path}; text comes back as text, anything else as a base64 blob. Reads
// go through the same path policy and daemon re-check as file_read; names listed by the sandbox pass the host's
// boundary rule (shared/src/boundary) before they become URIs. After a call that may have changed the workspace the
// client hears `notifications/resources/list_changed` (resource-changes.ts).
import { PathPolicyError, WORKSPACE_ROOT, displayPath, resolveWorkspacePath } from '@suna/sandbox';
import { sandboxPathProblem } from '@suna/shared';
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, type ReadResourceResult, type Resource } from '@modelcontextprotocol/sdk/types.js';
import { RESOURCE_PREFIX, mimeTypeOf, resourceUri } from './resource-uri.js';
import type { Runtime } from './runtime.js';

/** Largest file a resources/read returns (base64 grows it by a third; the result must fit a client's message). */
export const MAX_RESOURCE_BYTES = 8 * 1024 * 1024;
const LIST_MAX_ENTRIES = 500;
const LIST_DEPTH = 4;

function isText(buf: Buffer, mimeType: string): boolean {
  if (buf.subarray(0, 8192).includes(0)) return false;
  if (mimeType.startsWith('text/') || /json|xml|svg/.test(mimeType)) return true;
  if (mimeType !== 'application/octet-stream') return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return true;
  } catch {
    return false;
  }
}

/** An invalid or refused resource URI (-32602), or a file that is not there (-32002, the spec's "not found"). */
class ResourceError extends Error {
  override readonly name = 'ResourceError';
  // The SDK answers a thrown error with its numeric `code` (McpError would prefix its message a second time).
  constructor(message: string, readonly code: number = ErrorCode.InvalidParams) {
    super(message);
  }
}
const RESOURCE_NOT_FOUND = -32002;

/** Read one workspace file for resources/read: size checked before the bytes move. */
export async function readWorkspaceResource(runtime: Runtime, uri: URL): Promise<ReadResourceResult> {
  const raw = uri.href.startsWith(RESOURCE_PREFIX) ? uri.href.slice(RESOURCE_PREFIX.length) : '';
  let rel: string;
  try {
    rel = decodeURIComponent(raw);
  } catch {
    throw new ResourceError(`${uri.href} is not a valid resource URI; use ${RESOURCE_PREFIX}<path in the workspace>`);
  }
  let absolute: string;
  try {
    absolute = resolveWorkspacePath(rel, { allowRoot: false });
  } catch (err) {
    throw new ResourceError(err instanceof PathPolicyError ? err.message : 'invalid path');
  }
  const stat = await runtime.sandbox.call('stat', { path: absolute }, { timeoutMs: 15_000 });
  if (!stat) throw new ResourceError(`${displayPath(absolute)} does not exist in the workspace`, RESOURCE_NOT_FOUND);
  if (stat.type !== 'file') throw new ResourceError(`${displayPath(absolute)} is a ${stat.type}, not a file`);
  if (stat.size > MAX_RESOURCE_BYTES)
    throw new ResourceError(`${displayPath(absolute)} is ${stat.size.toLocaleString('en-US')} bytes, over the ${MAX_RESOURCE_BYTES / 1024 / 1024} MB resource limit; use file_export to copy it to the host`);
  const r = await runtime.sandbox.call('read', { path: absolute, maxBytes: MAX_RESOURCE_BYTES }, { timeoutMs: 60_000 });
  const buf = Buffer.from(r.data, 'base64');
  const mimeType = mimeTypeOf(absolute);
  const href = resourceUri(displayPath(absolute));
  return { contents: [isText(buf, mimeType) ? { uri: href, mimeType, text: buf.toString('utf8') } : { uri: href, mimeType, blob: r.data }] };
}

/** resources/list: the workspace's files (ignored ones and .git left out), a few levels deep, bounded. */
export async function listWorkspaceResources(runtime: Runtime): Promise<Resource[]> {
  const list = await runtime.sandbox.call('listdir', { path: WORKSPACE_ROOT, depth: LIST_DEPTH, maxEntries: LIST_MAX_ENTRIES, respectIgnore: true }, { timeoutMs: 30_000 });
  return list.entries
    .filter((e) => e.type === 'file' && sandboxPathProblem(e.path) === null && !e.path.startsWith('.git/'))
    .map((e) => ({ uri: resourceUri(e.path), name: e.path, mimeType: mimeTypeOf(e.path), ...(typeof e.size === 'number' ? { size: e.size } : {}) }));
}

export function registerWorkspaceResources(server: McpServer, runtime: Runtime): void {
  const template = new ResourceTemplate(`${RESOURCE_PREFIX}{+path}`, { list: async () => ({ resources: await listWorkspaceResources(runtime) }) });
  server.registerResource(
    'workspace',
    template,
    { title: 'Workspace files', description: 'Files in the sandbox workspace (/workspace); text as text, other files as base64 blobs.' },
    (uri) => readWorkspaceResource(runtime, uri),
  );
}
