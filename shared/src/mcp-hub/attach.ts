// Attaching one agent run to the external MCP servers, the same way in every host (the server's agent_run and
// the extension's chat runs): wait for the servers to start (or the run to be aborted), tell the run what it
// has and lacks, then pass on what happens to the servers until the run detaches. The notices are structured;
// each host words them for its own users (the server names its mcp_servers tool, the extension its command).
import type { McpHub, McpHubNotice } from './hub.js';

export type RunHubNotice =
  /** A server that failed to start or stopped: the run goes on without its tools. */
  | { kind: 'unavailable'; server: string; reason: string }
  /** Tool changes a human has not confirmed yet: the old definitions are served, changed tools refused. */
  | { kind: 'held'; server: string; tools: Array<{ name: string; change?: 'new' | 'changed' }> }
  /** The external tools this run has, at its start. */
  | { kind: 'ready'; tools: string[] }
  /** Anything else the hub reported later (a server stopped, tools removed, a bad tool list); `message` is neutral. */
  | { kind: 'hub'; notice: McpHubNotice };

export type RunHubListener = (notice: RunHubNotice) => void;

/** The runs attached to one hub; give `publish` every notice of that hub (McpHubOptions.onNotice). */
export class RunHubListeners {
  private readonly listeners = new Set<RunHubListener>();

  publish(n: McpHubNotice): void {
    // An approved tool list goes to the user (with descriptions), not into every transcript.
    if (n.kind === 'tools_approved') return;
    const notice: RunHubNotice = n.kind === 'tools_held' && n.tools ? { kind: 'held', server: n.server, tools: n.tools.map((t) => ({ name: t.name, change: (t as { change?: 'new' | 'changed' }).change })) } : { kind: 'hub', notice: n };
    for (const l of this.listeners) {
      try {
        l(notice);
      } catch {
        // one run's trouble is not the others'
      }
    }
  }

  add(l: RunHubListener): void {
    this.listeners.add(l);
  }

  delete(l: RunHubListener): void {
    this.listeners.delete(l);
  }
}

/**
 * Attach a run: waits for the hub's start (or `signal`), reports each unavailable server, each held change and
 * the ready tools, then keeps `onNotice` informed until the returned detach is called. `wanted` is asked
 * after the wait: a run that ended (or detached) meanwhile is not added.
 */
export async function attachRun(hub: McpHub, listeners: RunHubListeners, signal: AbortSignal, onNotice: RunHubListener, wanted: () => boolean = () => !signal.aborted): Promise<() => void> {
  await Promise.race([hub.start(), new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })))]);
  const ready: string[] = [];
  for (const s of hub.status()) {
    if (s.state === 'failed' || s.state === 'closed') onNotice({ kind: 'unavailable', server: s.name, reason: s.error ?? s.state });
    if (s.pending.length) onNotice({ kind: 'held', server: s.name, tools: s.pending.map((p) => ({ name: p.name, change: p.change })) });
    if (s.state === 'ready') ready.push(...s.tools.map((t) => t.name));
  }
  if (ready.length) onNotice({ kind: 'ready', tools: ready });
  // From here on (not before: start-up failures are in the summary above) what happens reaches this run.
  if (wanted()) listeners.add(onNotice);
  return () => listeners.delete(onNotice);
}
