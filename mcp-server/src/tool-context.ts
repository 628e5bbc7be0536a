// What a tool handler can reach: the process's services (Runtime) and, per call, a ToolContext whose sandbox
// facade is bound to the call's signal. Types only, plus the per-runtime state helper, so that the tool layer,
// the runtime builder and the agent runs all depend on this file and never on each other.
import type { Sandbox } from '@suna/sandbox';
import type { AgentRunManager } from './agent/runs.js';
import type { BrowserSession } from './browser/session.js';
import type { ServerConfig } from './config.js';
import type { LocalSiteHost } from './deploy/static-host.js';
import type { Semaphore } from './limits.js';
import type { Logger } from './log.js';
import type { ToolResponse } from './response.js';
import type { SandboxFacade } from './sandbox-facade.js';

/** The services shared by all MCP sessions of one server process, built in order by createRuntime (runtime.ts). */
export interface Runtime {
  readonly config: ServerConfig;
  readonly log: Logger;
  readonly sandbox: Sandbox;
  /** The cap on concurrent tool calls in this sandbox (--max-concurrent-calls). */
  readonly callSlots: Semaphore;
  /** The sandbox's Chromium, started on first use. */
  readonly browser: BrowserSession;
  /** Locally hosted static sites (and the records of remote deploys). */
  readonly sites: LocalSiteHost;
  /** Agent runs of `agent_run`. */
  readonly runs: AgentRunManager;
}

/** What every handler gets: the sandbox facade bound to this call, the request's signal, progress, and the reply. */
export interface ToolContext extends SandboxFacade {
  /**
   * Internal, low-level: the unbound Sandbox (`call(op, args, {signal, timeoutMs})`). Prefer `fs`, `exec` and
   * `proc`, which carry the signal, the default timeouts and the error mapper; kept for lifecycle calls
   * (status, reset, image state) and for tool files not yet migrated.
   */
  sandbox: Sandbox;
  runtime: Runtime;
  config: ServerConfig;
  signal: AbortSignal;
  reply: ToolResponse;
  progress(progress: number, total?: number, message?: string): Promise<void>;
  /** The caller asked for progress (a progress token, or an in-process observer): worth producing live output. */
  wantsProgress: boolean;
  /** Set when the agent of an agent_run makes the call: its run (live record), whose pre-run checkpoint bounds what it may restore. */
  run?: { readonly id: string; readonly checkpoint?: string };
}

/**
 * State a tool family keeps per runtime (shell's output cursors, ports' forwards), created on first use. The
 * family owns it and says how to clear it; the Runtime carries no family's maps.
 */
export function runtimeState<T>(create: (runtime: Runtime) => T): (runtime: Runtime) => T {
  const states = new WeakMap<Runtime, T>();
  return (runtime) => {
    let state = states.get(runtime);
    if (state === undefined) states.set(runtime, (state = create(runtime)));
    return state;
  };
}
