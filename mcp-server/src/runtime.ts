// Builds the process's services in dependency order: logger and sandbox first, then what uses the sandbox
// (browser, call slots), the site host, and last the agent runs, whose tools reach the finished runtime
// through executeTool. Each tool family keeps its own per-runtime state (tool-context.ts: runtimeState).
import { Sandbox } from '@suna/sandbox';
import { AgentRunManager } from './agent/runs.js';
import { createStore, openRunStore } from './agent/store.js';
import { BrowserSession } from './browser/session.js';
import type { ServerConfig } from './config.js';
import { LocalSiteHost } from './deploy/static-host.js';
import { Semaphore } from './limits.js';
import { createLogger, type Logger } from './log.js';
import { bindSandboxMetrics } from './metrics.js';
import { inProcessToolHost, type ToolDefinition } from './tool.js';
import type { Runtime } from './tool-context.js';

export type { Runtime } from './tool-context.js';

export interface RuntimeOptions {
  log?: Logger;
  /** The tools an agent run may call (the server's own, minus the agent tools); read at each run's start. */
  agentTools?: () => ToolDefinition[];
}

export function createRuntime(config: ServerConfig, { log = createLogger(config.logLevel), agentTools = () => [] }: RuntimeOptions = {}): Runtime {
  const sandbox = new Sandbox(config.sandbox, (line) => log.info(line, { component: 'sandbox' }));
  bindSandboxMetrics(sandbox, config.tenant ?? '');
  sandbox.egress.on('decision', (d) => log.info(`egress ${d.verdict} ${d.host}:${d.port}`, { component: 'egress', ...d }));
  const browser = new BrowserSession(sandbox, log, config.browserProfile);
  const sites = new LocalSiteHost(config.dataDir, createStore('sites', config.dataDir), config.exposeHost);
  const callSlots = new Semaphore(config.maxConcurrentCalls);
  // The runs call tools through the runtime they belong to: the host is made when a run starts, by then it exists.
  const runs = new AgentRunManager({ config, log }, openRunStore(config.store, config.dataDir, (m, f) => log.warn(m, f)), (exclude, run) =>
    inProcessToolHost(runtime, agentTools().filter((t) => !exclude.has(t.name)), run),
  );
  const runtime: Runtime = { config, log, sandbox, callSlots, browser, sites, runs };
  return runtime;
}
