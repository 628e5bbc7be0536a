// The `suna-mcp` command, loaded by its entry (cli.ts): serve MCP on stdio (default) or Streamable HTTP, or build the
// sandbox image, check the machine (doctor) or write a client's configuration (setup).
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { buildImage, imageOf, reapOrphans } from '@suna/sandbox';
import { prepareBaseWhenIdle } from './checkpoints/base-prep.js';
import { registerSecretsFromEnv } from '@suna/shared';
import { doctor, formatDoctor } from './commands/doctor.js';
import { parseSetupArgs, setupClient } from './commands/setup.js';
import { ConfigError, helpText, loadConfig, type ServerConfig } from './config.js';
import { OVERSIZE_ADVICE } from './limits.js';
import { createLogger } from './log.js';
import { loadMetrics } from './metrics.js';
import type { Runtime } from './runtime.js';
import { createRuntime, createServer } from './server.js';
import { jsonRpcGuard } from './stdio-guard.js';
import { GuardedStdioTransport } from './stdio-transport.js';
import { toolListing } from './tool.js';
import { toolsFor } from './tools/index.js';
import { stopRuntime } from './runtime-stop.js';
import { startTracing, stopTracing } from './telemetry.js';
import { VERSION } from './version.js';

const SHUTDOWN_DEADLINE_MS = 1500;
const WARM_UP_FALLBACK_MS = 1000;

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) return void process.stdout.write(helpText(VERSION) + '\n');
  if (argv.includes('--version')) return void process.stdout.write(VERSION + '\n');
  const command = argv[0] && !argv[0].startsWith('-') ? argv[0] : 'serve';
  if (command === 'setup') {
    let opts;
    try {
      opts = parseSetupArgs(argv.slice(1), (serverArgs) => void loadConfig(serverArgs));
    } catch (e) {
      throw new ConfigError((e as Error).message);
    }
    return void process.stdout.write(await setupClient(opts));
  }
  const config = loadConfig(command === 'serve' ? argv : argv.slice(1));
  try {
    toolsFor(config); // validate --tools before anything starts
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  registerSecretsFromEnv();
  const runtime = createRuntime(config);
  if (await startTracing(VERSION)) runtime.log.info('exporting traces over OTLP/HTTP', { endpoint: process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT });

  if (command === 'build-image') {
    const tag = imageOf(config.sandbox);
    await buildImage(runtime.sandbox.docker, tag, config.sandbox.baseImage, (l) => process.stderr.write(l + '\n'));
    process.stdout.write(tag + '\n');
    return;
  }
  if (command === 'doctor') {
    const lines = await doctor(config, runtime);
    process.stdout.write(formatDoctor(lines) + '\n');
    process.exitCode = lines.some((l) => l.ok === false) ? 1 : 0;
    return;
  }
  if (command !== 'serve') throw new ConfigError(`unknown command "${command}"; see --help`);

  // The JSON Schemas of tools/list (cached per tool): made right after `initialize` is answered, while the client
  // reads the answer and sends its tools/list.
  const prepareListing = (): void => void toolListing(toolsFor(config));
  // Docker work starts once the client has its `initialize` answer (loading dockerode alone would delay it), or
  // after a moment if the client never says it is initialized.
  let warmed = false;
  const warmUp = (): void => {
    if (warmed) return;
    warmed = true;
    prepareListing();
    // The rest waits for the messages that came with `initialized` (a client's tools/list is usually among them):
    // loading dockerode and prom-client here would hold that answer back.
    setImmediate(warmTheRest);
  };
  const warmTheRest = (): void => {
    // Earlier sites are served again from here too: reading their records (hashing, file reads) is not needed to
    // answer `initialize`.
    void runtime.sites.restore().catch((e: Error) => runtime.log.warn('could not serve earlier sites again', { error: e.message }));
    loadMetrics(); // deferred from start (prom-client); made now, before the first call counts
    // Reap first, then warm: an orphan may carry our own sandbox's name (a throwaway server that just exited),
    // and reaping it while the warm-up adopts it would pull the container from under the first call.
    const reaped = reapOrphans(runtime.sandbox.docker).then(
      (r) => r.length && runtime.log.info('removed orphaned sandboxes', { containers: r }),
      () => {},
    );
    // Warm the sandbox so the first tool call is fast; a failure here is reported by that call instead. (With
    // tenants each tenant's sandbox starts with its first call; the process's own is not used.)
    if (!config.http?.tenantsFile) void reaped.then(() => runtime.sandbox.ensure()).then(() => prepareBaseWhenIdle(runtime)).catch((e: Error) => runtime.log.warn('sandbox not ready yet', { error: e.message }));
  };
  setTimeout(warmUp, WARM_UP_FALLBACK_MS).unref();
  if (config.http) {
    await serveHttp(config, runtime);
    warmUp();
  } else await serveStdio(config, runtime, warmUp, prepareListing);
}

/** Stop one runtime: its runs, ports, browser, sandbox (by the exit policy) and sites. */
/** `runtimes`: the process's runtime, or (--tenants) every tenant's runtime made so far. */
function onShutdown(runtime: Runtime, closeTransport: () => Promise<void>, runtimes: () => Runtime[] = () => [runtime]): (why: string) => void {
  let done = false;
  return (why) => {
    if (done) return;
    done = true;
    runtime.log.info('shutting down', { reason: why, sandbox: runtime.config.onExit });
    // Never hang on exit: the parent is waiting for us.
    setTimeout(() => process.exit(0), SHUTDOWN_DEADLINE_MS).unref();
    void Promise.allSettled([...runtimes().map(stopRuntime), closeTransport(), stopTracing()]).finally(() => process.exit(0));
  };
}

async function serveStdio(config: ServerConfig, runtime: Runtime, onInitialized: () => void, afterInitializeAnswer: () => void): Promise<void> {
  const server = createServer(config, runtime);
  // "ready" is logged once the client is initialized (or after the warm-up's wait): the logger (pino) it makes is
  // not needed to answer `initialize`.
  let announced = false;
  const announce = (): void => {
    if (announced) return;
    announced = true;
    runtime.log.info('suna-mcp ready on stdio', { version: VERSION, sandbox: config.sandbox.name });
  };
  server.server.oninitialized = () => {
    setImmediate(announce); // after the messages that came with `initialized`, like the warm-up's Docker work
    onInitialized();
  };
  // The guard bounds every line and hands each valid message, parsed once, to the transport.
  const transport = new GuardedStdioTransport(process.stdout);
  let answering = true;
  const deliver = (m: JSONRPCMessage): void => {
    transport.receive(m);
    // The SDK answers in this turn's microtasks (nothing in it waits for I/O); the immediate runs after that.
    if (answering && 'method' in m && m.method === 'initialize') {
      answering = false;
      setImmediate(afterInitializeAnswer);
    }
  };
  jsonRpcGuard(process.stdin, process.stdout, { maxLineBytes: config.maxMessageBytes, oversizeAdvice: OVERSIZE_ADVICE, deliver });
  const shutdown = onShutdown(runtime, () => server.close());
  // The SDK's stdio transport does not notice EOF; a client closing our stdin means "exit now".
  process.stdin.on('end', () => shutdown('stdin closed'));
  process.stdin.on('close', () => shutdown('stdin closed'));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => shutdown(sig));
  // If the parent dies without closing the pipe, we are re-parented: notice and exit.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) shutdown('parent process exited');
  }, 1000).unref();
  await server.connect(transport);
  setTimeout(announce, WARM_UP_FALLBACK_MS).unref();
}

async function serveHttp(config: ServerConfig, runtime: Runtime): Promise<void> {
  // Loaded only in this mode: the SDK's HTTP transport brings Hono, which reads the global Response at load, and
  // that loads Node's fetch stack (~90 ms of CPU a stdio start does not need).
  const { startHttp } = await import('./http.js');
  const handle = await startHttp(config, runtime);
  const tenants = handle.tenants;
  const shutdown = onShutdown(runtime, () => handle.close(), tenants ? () => tenants.active() : undefined);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => shutdown(sig));
  process.stderr.write(`suna-mcp ${VERSION} listening on ${handle.url}\n`);
  if (tenants) process.stderr.write(`serving ${tenants.count} tenants (--tenants); each gets its own sandbox on first use\n`);
  else if (!config.http?.token) process.stderr.write(`bearer token (generated; set --token or SUNA_TOKEN to choose one): ${handle.token}\n`);
}

main(process.argv.slice(2)).catch((err: Error) => {
  process.stderr.write(`suna-mcp: ${err instanceof ConfigError ? err.message : err.message}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
