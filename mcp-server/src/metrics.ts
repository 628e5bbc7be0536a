// Prometheus metrics (prom-client), served at /metrics in HTTP mode. One registry per process.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { costOf, priceOf } from '@suna/shared/agent/index';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'suna_process_' });

export const toolCalls = new Counter({
  name: 'suna_tool_calls_total',
  help: 'Tool calls by tool and outcome (ok, error, cancelled, internal_error)',
  labelNames: ['tool', 'outcome'] as const,
  registers: [registry],
});

export const toolDuration = new Histogram({
  name: 'suna_tool_duration_seconds',
  help: 'Tool call latency',
  labelNames: ['tool'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  registers: [registry],
});

/** Lifetime counts the sandbox keeps; read at scrape time (see bindSandboxMetrics). */
interface EgressTotals {
  connections: { allowed: number; denied: number };
  bytes: { up: number; down: number };
}
let sandboxCounts: { starts: Record<'created' | 'started' | 'daemon', number>; restarts: () => Record<'container' | 'daemon', number>; egress: () => EgressTotals } | undefined;

export function bindSandboxMetrics(sandbox: { starts: Record<'created' | 'started' | 'daemon', number>; readonly restartCounts: Record<'container' | 'daemon', number>; egress: { status(): EgressTotals } }): void {
  sandboxCounts = { starts: sandbox.starts, restarts: () => sandbox.restartCounts, egress: () => sandbox.egress.status() };
}

export const sandboxStarts = new Counter({
  name: 'suna_sandbox_starts_total',
  help: 'Sandbox containers created, stopped containers started, and daemon connections, by kind',
  labelNames: ['kind'] as const, // created | started | daemon
  registers: [registry],
  collect() {
    if (!sandboxCounts) return;
    this.reset();
    for (const [kind, n] of Object.entries(sandboxCounts.starts)) this.inc({ kind }, n);
  },
});

export const sandboxRestarts = new Counter({
  name: 'suna_sandbox_restarts_total',
  help: 'Recoveries after the container or its daemon died, by what was restarted',
  labelNames: ['kind'] as const, // container | daemon
  registers: [registry],
  collect() {
    if (!sandboxCounts) return;
    this.reset();
    for (const [kind, n] of Object.entries(sandboxCounts.restarts())) this.inc({ kind }, n);
  },
});

export const egressConnections = new Counter({
  name: 'suna_egress_connections_total',
  help: 'Outbound connections the sandbox asked its egress proxy for, by verdict (allowed, denied)',
  labelNames: ['verdict'] as const,
  registers: [registry],
  collect() {
    if (!sandboxCounts) return;
    this.reset();
    const { connections } = sandboxCounts.egress();
    this.inc({ verdict: 'allowed' }, connections.allowed);
    this.inc({ verdict: 'denied' }, connections.denied);
  },
});

export const egressBytes = new Counter({
  name: 'suna_egress_bytes_total',
  help: 'Bytes through the egress proxy, by direction (up: from the sandbox, down: into it)',
  labelNames: ['direction'] as const,
  registers: [registry],
  collect() {
    if (!sandboxCounts) return;
    this.reset();
    const { bytes } = sandboxCounts.egress();
    this.inc({ direction: 'up' }, bytes.up);
    this.inc({ direction: 'down' }, bytes.down);
  },
});

export const agentRuns = new Counter({
  name: 'suna_agent_runs_total',
  help: 'Finished agent runs by end status',
  labelNames: ['status'] as const,
  registers: [registry],
});

export const modelTokens = new Counter({
  name: 'suna_model_tokens_total',
  help: 'Model tokens by provider, model and direction (in, out)',
  labelNames: ['provider', 'model', 'direction'] as const,
  registers: [registry],
});

export const modelCost = new Counter({
  name: 'suna_model_cost_usd_total',
  help: 'Estimated model cost in US dollars (list prices per million tokens; unknown models count 0)',
  labelNames: ['provider', 'model'] as const,
  registers: [registry],
});

export const rateLimited = new Counter({
  name: 'suna_http_rate_limited_total',
  help: 'HTTP requests refused with 429',
  registers: [registry],
});

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
