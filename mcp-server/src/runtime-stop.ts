// Ending a runtime: at the server's exit, and (--tenants) when a tenant has been idle long enough to be released.
// Exposed ports close, runs are saved, the browser lets go, the sandbox follows the exit policy, sites stop, and
// the sandbox's counters stay in /metrics (retired, not lost).
import { retireSandboxMetrics } from './metrics.js';
import type { Runtime } from './runtime.js';
import { closeExposedPorts } from './tools/ports.js';

export function stopRuntime(runtime: Runtime): Promise<unknown> {
  void closeExposedPorts(runtime);
  retireSandboxMetrics(runtime.sandbox);
  // All at once: the exit policy for the sandbox must not wait behind the rest of the 1.5 s budget — except
  // for the browser, which first quits on its own (≤ 1 s, so a persistent profile keeps its cookies) and
  // then lets go of its connection (stopping the container stops Chromium; asking the daemon now could start
  // a new sandbox).
  return Promise.allSettled([
    runtime.runs.shutdown(),
    runtime.browser.close({ stopChromium: false }).finally(() => runtime.sandbox.shutdown(runtime.config.onExit)),
    runtime.sites.close(),
  ]);
}
