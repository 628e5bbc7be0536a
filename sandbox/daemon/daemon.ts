// The in-sandbox daemon's entry: one long-lived Node process per sandbox, reached over the stdin/stdout of the
// attached `docker exec` that started it (as root, by absolute path, with a fixed environment: see daemon-client.ts)
// and, with SUNA_SHARED_SOCKET, over a root-only unix socket that later execs bridge to (shared-socket.ts).
// It confines itself first (confinement.ts), then serves requests. Bundled by esbuild into one CommonJS file that
// the host sends with each launch (no file in the image to go stale; the launch script puts it in a root-only
// directory, named by its hash: see daemonExec in container.ts). Only this file has effects on load.
import * as fsp from 'node:fs/promises';
import { SYSTEM_PATH, confineDaemon } from './confinement.js';
import { Connections } from './connections.js';
import { Commands } from './exec.js';
import { FileOps } from './files.js';
import { extractTar } from './extract.js';
import driverSource from '../kernel/driver.py';
import { CodeKernel } from './kernel.js';
import { ProcessTable } from './processes.js';
import { DAEMON_PROTOCOL_VERSION, type DaemonEvent } from './protocol.js';
import { DiskQuota } from './quota.js';
import { listenShared, runBridge, stdioLink } from './shared-socket.js';
import type { Link } from './connections.js';
import { Tunnels } from './tunnels.js';
import { Workspace } from './workspace.js';

async function main(): Promise<void> {
  const env = process.env;
  const sharedSocket = env.SUNA_SHARED_SOCKET;
  if (sharedSocket && process.argv.includes('--bridge')) return runBridge(sharedSocket);
  process.title = 'suna-daemon';
  // Listen (as root, before confining) for the other replicas' bridges; without it, this connection alone.
  const early: Link[] = [];
  let accept = (link: Link) => void early.push(link);
  const listener = sharedSocket
    ? await listenShared(sharedSocket, (link) => accept(link)).catch((e: Error) => void process.stderr.write(`serving one connection only: ${e.message}\n`))
    : undefined;
  const identity = confineDaemon(env);
  const root = env.SUNA_WORKSPACE || '/workspace';
  const realpath = (p: string) => identity.fs(() => fsp.realpath(p));
  const workspace = new Workspace(root, await realpath(root).catch(() => root), realpath);
  const emit = (ev: DaemonEvent) => connections.emit(ev);

  const quotaBytes = Math.max(0, Number(env.SUNA_DISK_QUOTA_MB) || 0) * 1024 * 1024;
  const quota = new DiskQuota({
    quotaBytes,
    dirs: (env.SUNA_DISK_QUOTA_PATHS || root).split(':').filter(Boolean),
    spawnDu: (args) => identity.spawn('/usr/bin/du', args, { cwd: '/', env: { PATH: SYSTEM_PATH, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'ignore'] }),
    report: (usedBytes, stopped) => emit({ ev: 'quota', usedBytes, quotaBytes, stopped }),
  });
  const commands = new Commands(identity, workspace, emit);
  const processes = new ProcessTable(commands);
  const files = new FileOps(identity, workspace, quota);
  const tunnels = new Tunnels(emit);
  // -I: the driver ignores PYTHON* variables and the user's site-packages, so code the agent leaves there does not
  // run inside it (the kernel it starts keeps them: the agent's pip installs work there).
  const kernel = new CodeKernel(commands, root, ['/usr/bin/python3', '-I', '-c', driverSource]);

  const connections = new Connections(
    {
      hello: () => ({ version: DAEMON_PROTOCOL_VERSION, pid: process.pid, uid: process.geteuid?.() ?? -1, node: process.version, workspace: workspace.real }),
      exec: (a) => commands.exec(a),
      cancel: (a) => commands.cancel(a.execId),
      start: (a) => processes.start(a),
      output: (a) => processes.output(a),
      input: (a) => processes.input(a),
      kill: (a) => processes.kill(a),
      list: () => processes.list(),
      read: (a) => files.read(a),
      readLines: (a) => files.readLines(a),
      write: (a) => files.write(a),
      stat: (a) => files.stat(a),
      listdir: (a) => files.listdir(a),
      manifest: (a) => files.manifest(a),
      extract: (a, payload) => extractTar(identity, workspace, quota, a, payload),
      remove: (a) => files.remove(a),
      move: (a) => files.move(a),
      mkdir: (a) => files.mkdir(a),
      codeRun: (a) => kernel.run(a),
      codeCancel: (a) => kernel.cancel(a.runId),
      codeReset: () => kernel.reset(),
      tunnelOpen: (a) => tunnels.open(a),
      tunnelWrite: (a, payload) => tunnels.write(a, payload),
      tunnelAck: (a) => tunnels.ack(a),
      tunnelClose: (a) => tunnels.close(a),
    },
    // Every host went away: stop everything we started, then exit.
    () => {
      listener?.close();
      processes.killAll();
      commands.killAll();
      kernel.killAll();
      setTimeout(() => process.exit(0), 50);
    },
  );
  connections.attach(stdioLink());
  accept = (link) => void connections.attach(link);
  for (const link of early.splice(0)) accept(link);
  quota.watch();
}

void main();
