// Why: a client that shows workspace files as resources (resources.ts) should learn when the list may have changed
// without polling. The SDK declares the resources `listChanged` capability; this sends the notification after calls
// that are not read-only, once per burst. Kept apart from resources.ts so tool.ts can use it without an import cycle.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';

/** A burst of writes (an agent's file_write after file_write) makes one notification, sent this long after the first. */
const LIST_CHANGED_DELAY_MS = 200;
const timers = new WeakMap<McpServer, NodeJS.Timeout>();

/**
 * A call that is not read-only has ended (ok or not: a failed command may still have written files), so the resource
 * list may differ now. The client re-lists when it cares; nothing is sent while no transport is connected.
 */
export function workspaceMayHaveChanged(server: McpServer): void {
  if (timers.has(server) || !server.isConnected()) return;
  const timer = setTimeout(() => {
    timers.delete(server);
    if (server.isConnected()) server.sendResourceListChanged();
  }, LIST_CHANGED_DELAY_MS);
  timer.unref();
  timers.set(server, timer);
}
