// Prometheus metrics (prom-client), served at /metrics in HTTP mode. One registry per process. The sandbox's
// counters carry a `tenant` label ("" for the server's own sandbox); a tenant's scrape shows only its own (http.ts).
// prom-client is loaded when a metric is first touched, not at start: loading it (and starting its default
// collectors) cost every launch ~70 ms of CPU before `initialize` could be answered. The server touches the
// metrics right after `initialize` (loadMetrics), so the first tool call does not pay for it either.
import { createRequire } from 'node:module';
import type { Registry as PromRegistry } from 'prom-client';
import { costOf, priceOf } from '@suna/shared/agent/index';

type Prom = typeof import('prom-client');
let promClient: Prom | undefined;
// A literal require, so a bundle that carries its dependencies (the extension's copy of the server) includes
// prom-client and still loads it late; under tsx (plain ESM without `require`) createRequire stands in.
const prom = (): Prom => (promClient ??= (typeof require === 'function' ? require('prom-client') : createRequire(import.meta.url)('prom-client')) as Prom);

/** A metric made on first use; every property access goes to the real prom-client object. */
function lazy<T extends object>(make: (p: Prom) => T): T {
  let made: T | undefined;
  const real = (): T => (made ??= make(prom()));
  return new Proxy({} as T, {
    get(_target, key) {
      const target = real();
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
let madeRegistry: PromRegistry | undefined;
function theRegistry(): PromRegistry {
  if (!madeRegistry) {
    const { Registry, collectDefaultMetrics } = prom();
    madeRegistry = new Registry();
    collectDefaultMetrics({ register: madeRegistry, prefix: 'suna_process_' });
  }
  return madeRegistry;
}

/** The registry /metrics serves: every metric is made (and registered) before it is first read. */
export const registry: PromRegistry = lazy(() => (loadMetrics(), theRegistry()));

export const toolCalls = lazy(({ Counter }) =>
  new Counter({
    name: 'suna_tool_calls_total',
    help: 'Tool calls by tool and outcome (ok, error, cancelled, internal_error)',
    labelNames: ['tool', 'outcome'] as const,
    registers: [theRegistry()],
  }),
);

export const toolDuration = lazy(({ Histogram }) =>
  new Histogram({
    name: 'suna_tool_duration_seconds',
    help: 'Tool call latency',
    labelNames: ['tool'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [theRegistry()],
  }),
);

/** Lifetime counts a sandbox keeps; read at scrape time, labelled by tenant ('' for the server's own sandbox). */
interface EgressTotals {
  connections: { allowed: number; denied: number };
  bytes: { up: number; down: number };
}
interface SandboxSource {
  starts: Record<'created' | 'started' | 'daemon', number>;
  readonly restartCounts: Record<'container' | 'daemon', number>;
  egress: { status(): EgressTotals };
}
/** Per family (a metric), counts by label value. */
type SandboxTotals = Record<'starts' | 'restarts' | 'connections' | 'bytes', Record<string, number>>;
const noTotals = (): SandboxTotals => ({ starts: {}, restarts: {}, connections: {}, bytes: {} });
/** Live sandboxes, and what released ones counted (a tenant's counters never go back down when it is released). */
const liveSandboxes = new Map<SandboxSource, string>();
const retired = new Map<string, SandboxTotals>();

function totalsOf(s: SandboxSource): SandboxTotals {
  const { connections, bytes } = s.egress.status();
  return { starts: { ...s.starts }, restarts: { ...s.restartCounts }, connections: { ...connections }, bytes: { ...bytes } };
}

function add(into: SandboxTotals, t: SandboxTotals): void {
  for (const family of Object.keys(t) as Array<keyof SandboxTotals>)
    for (const [k, v] of Object.entries(t[family])) into[family][k] = (into[family][k] ?? 0) + v;
}

/** Per tenant: the live sandbox's counts plus those of the runtimes it had before. */
function sandboxTotals(): Map<string, SandboxTotals> {
  const out = new Map<string, SandboxTotals>();
  const slot = (tenant: string) => {
    let t = out.get(tenant);
    if (!t) out.set(tenant, (t = noTotals()));
    return t;
  };
  for (const [tenant, t] of retired) add(slot(tenant), t);
  for (const [s, tenant] of liveSandboxes) add(slot(tenant), totalsOf(s));
  return out;
}

export function bindSandboxMetrics(sandbox: SandboxSource, tenant = ''): void {
  liveSandboxes.set(sandbox, tenant);
}

/** The sandbox's runtime is released: keep what it counted under its tenant, and let go of the sandbox. */
export function retireSandboxMetrics(sandbox: SandboxSource): void {
  const tenant = liveSandboxes.get(sandbox);
  if (tenant === undefined) return;
  liveSandboxes.delete(sandbox);
  let into = retired.get(tenant);
  if (!into) retired.set(tenant, (into = noTotals()));
  add(into, totalsOf(sandbox));
}

/** A counter read at scrape time from every sandbox's lifetime totals: one series per tenant and `label` value. */
function sandboxCounter(name: string, help: string, label: string, family: keyof SandboxTotals) {
  return lazy(({ Counter }) =>
    new Counter({
      name,
      help,
      labelNames: [label, 'tenant'],
      registers: [theRegistry()],
      collect() {
        this.reset();
        for (const [tenant, t] of sandboxTotals()) for (const [value, n] of Object.entries(t[family])) this.inc({ [label]: value, tenant }, n);
      },
    }),
  );
}

export const sandboxStarts = sandboxCounter('suna_sandbox_starts_total', 'Sandbox containers created, stopped containers started, and daemon connections, by kind', 'kind', 'starts'); // created | started | daemon
export const sandboxRestarts = sandboxCounter('suna_sandbox_restarts_total', 'Recoveries after the container or its daemon died, by what was restarted', 'kind', 'restarts'); // container | daemon
export const egressConnections = sandboxCounter('suna_egress_connections_total', 'Outbound connections the sandbox asked its egress proxy for, by verdict (allowed, denied)', 'verdict', 'connections');
export const egressBytes = sandboxCounter('suna_egress_bytes_total', 'Bytes through the egress proxy, by direction (up: from the sandbox, down: into it)', 'direction', 'bytes');

export const agentRuns = lazy(({ Counter }) =>
  new Counter({
    name: 'suna_agent_runs_total',
    help: 'Finished agent runs by end status',
    labelNames: ['status'] as const,
    registers: [theRegistry()],
  }),
);

export const modelTokens = lazy(({ Counter }) =>
  new Counter({
    name: 'suna_model_tokens_total',
    help: 'Model tokens by provider, model and direction (in, out)',
    labelNames: ['provider', 'model', 'direction'] as const,
    registers: [theRegistry()],
  }),
);

export const modelCost = lazy(({ Counter }) =>
  new Counter({
    name: 'suna_model_cost_usd_total',
    help: 'Estimated model cost in US dollars (list prices per million tokens; unknown models count 0)',
    labelNames: ['provider', 'model'] as const,
    registers: [theRegistry()],
  }),
);

export const rateLimited = lazy(({ Counter }) =>
  new Counter({
    name: 'suna_http_rate_limited_total',
    help: 'HTTP requests refused with 429',
    registers: [theRegistry()],
  }),
);

/** Count a model call's tokens and estimated cost; `modelId` is `provider:model`. */
export function recordModelUsage(modelId: string, inputTokens: number, outputTokens: number): void {
  const i = modelId.indexOf(':');
  const provider = i > 0 ? modelId.slice(0, i) : 'unknown';
  const model = i > 0 ? modelId.slice(i + 1) : modelId;
  modelTokens.inc({ provider, model, direction: 'in' }, inputTokens);
  modelTokens.inc({ provider, model, direction: 'out' }, outputTokens);
  // The price list lives in shared (pricing.ts), with the chat panel's cost estimate.
  const price = priceOf(modelId);
  modelCost.inc({ provider, model }, price ? costOf({ inputTokens, outputTokens }, price) : 0);
}

/** Load prom-client and make every metric now (after `initialize`, before the first call or scrape needs them). */
export function loadMetrics(): void {
  for (const metric of [toolCalls, toolDuration, sandboxStarts, sandboxRestarts, egressConnections, egressBytes, agentRuns, modelTokens, modelCost, rateLimited]) Reflect.get(metric, 'name');
}

/**
 * The scrape as one caller may see it: a tenant sees the sandbox series of its own tenant only (never another
 * tenant's name or counts); the holder of the server's token, or a public scrape, sees them all.
 */
export async function metricsText(tenant?: string): Promise<string> {
  const text = await registry.metrics();
  if (tenant === undefined) return text;
  const own = `tenant="${tenant}"`;
  return text
    .split('\n')
    .filter((line) => !line.includes('tenant="') || line.includes(own))
    .join('\n');
}
