// A unix socket from the sandbox to this server, where the Docker engine runs on this machine: a per-sandbox
// directory on the host, made by the server (never a path the sandbox names), bind-mounted READ-ONLY into the
// container at HOST_SOCKET_MOUNT. Bytes through it go through the kernel, not through dockerd's exec-stream copies
// (the egress relay's downloads, the browser's CDP tunnel). Where the engine is not local (Docker Desktop, whose file
// sharing does not carry sockets; a remote DOCKER_HOST; a server inside a container) there is no directory and
// those services use their exec streams as before.
//
// The peer is hostile: every connection first sends one line, `<service> <token>\n` (≤ HELLO_MAX_BYTES, within
// HELLO_TIMEOUT_MS), naming a registered service and a token this server handed out over that service's own exec
// stream (which the agent cannot read: the helper runs as another uid). Anything else is dropped without an answer.
// Connections per sandbox are bounded twice: those still owing their hello (anyone in the sandbox can open them:
// when full, the OLDEST is dropped, so an agent holding bare connections delays a helper's by at most its hello, never
// shuts it out) and those admitted by a token. One socket file per server process (a random name), so replicas sharing a
// sandbox each listen on their own.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, rmdirSync, rmSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/** Where the directory appears inside the sandbox (read-only). */
export const HOST_SOCKET_MOUNT = '/run/suna-host';
export const HELLO_MAX_BYTES = 256;
export const HELLO_TIMEOUT_MS = 5000;
const DEFAULT_MAX_CONNECTIONS = 128;
const DEFAULT_MAX_PENDING = 32;

/**
 * Called with the socket after a valid hello (bytes after the hello line are unshifted back into it) and the token it
 * named: a service that hands out one token per use (a tunnel) finds the use by it and revokes it.
 */
export type HostSocketHandler = (socket: Socket, token: string) => void;

/** The per-user base: $XDG_RUNTIME_DIR/suna-mcp, else <tmpdir>/suna-mcp-<uid>. */
export function hostSocketBase(env: NodeJS.ProcessEnv = process.env): string {
  const runtime = env.XDG_RUNTIME_DIR;
  if (runtime && runtime.startsWith('/')) return join(runtime, 'suna-mcp');
  return join(tmpdir(), `suna-mcp-${process.getuid?.() ?? 'user'}`);
}

/** The sandbox's directory on the host, from its container name (never from anything the sandbox says). */
export function hostSocketDir(containerName: string, base = hostSocketBase()): string {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/.test(containerName)) throw new Error(`not a container name: ${JSON.stringify(containerName.slice(0, 40))}`);
  return join(base, containerName);
}

/**
 * Create the base (0700, ours, not a symlink: a shared /tmp may hold one planted by another local user) and the
 * sandbox's directory (0711: the sandbox's helpers, another uid, may reach a socket by name but not list them).
 */
export function ensureHostSocketDir(dir: string): void {
  const base = join(dir, '..');
  mkdirSync(base, { recursive: true, mode: 0o700 });
  checkOwnDir(base);
  chmodSync(base, 0o700);
  mkdirSync(dir, { recursive: true, mode: 0o711 });
  checkOwnDir(dir);
  chmodSync(dir, 0o711);
}

function checkOwnDir(path: string): void {
  const st = lstatSync(path);
  if (!st.isDirectory() || st.isSymbolicLink()) throw new Error(`${path} is not a directory`);
  if (process.getuid && st.uid !== process.getuid()) throw new Error(`${path} belongs to another user`);
}

/** Remove the sandbox's directory (the sandbox is gone for good). Only what we made: sockets in one flat directory. */
export function removeHostSocketDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

interface Grant {
  service: string;
}

/** The listening side for one sandbox: services registered by name, tokens handed out per service. */
export class HostSocket {
  private server: Server | null = null;
  private readonly services = new Map<string, HostSocketHandler>();
  private readonly tokens = new Map<string, Grant>();
  private readonly connections = new Set<Socket>();
  /** Connections still owing their hello, oldest first (a Set keeps insertion order). */
  private readonly pending = new Set<Socket>();
  private file: string | null = null;
  private dir: string | null = null;
  /** Counts for tests and status: connections refused at hello, over the admitted bound, or dropped unhello'd. */
  readonly refused = { hello: 0, bound: 0, pending: 0 };

  constructor(
    private readonly options: { maxConnections?: number; maxPending?: number; helloTimeoutMs?: number; log?: (line: string) => void } = {},
  ) {}

  /** Dispatch connections whose hello names `name` to `handler`. */
  registerService(name: string, handler: HostSocketHandler): void {
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(name)) throw new Error(`invalid service name ${name}`);
    this.services.set(name, handler);
  }

  /** A fresh token for `service`; hand it to the helper over its exec stream. */
  issueToken(service: string): string {
    const token = randomBytes(24).toString('hex');
    this.tokens.set(token, { service });
    return token;
  }

  revokeToken(token: string): void {
    this.tokens.delete(token);
  }

  get listening(): boolean {
    return !!this.server;
  }

  /** The socket's path on the host, and inside the sandbox. */
  get hostPath(): string | null {
    return this.file;
  }
  get sandboxPath(): string | null {
    return this.file ? `${HOST_SOCKET_MOUNT}/${basename(this.file)}` : null;
  }

  /**
   * Listen on a new socket file in `dir` (which must exist: ensureHostSocketDir). Listening already in `dir` with
   * the file still there: nothing to do (a reset or another replica may have removed it: then a new one).
   */
  async listen(dir: string): Promise<void> {
    if (this.server && this.dir === dir && this.file && existsSync(this.file)) return;
    this.close();
    checkOwnDir(dir);
    const file = join(dir, `s-${randomBytes(8).toString('hex')}.sock`);
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => this.onConnection(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(file, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.options.log?.(`host socket: ${err.message}`));
    // The sandbox's helpers run as other uids (65534, 1000): they need write permission to connect. The token,
    // not the mode, is what admits a peer.
    chmodSync(file, 0o666);
    this.server = server;
    this.file = file;
    this.dir = dir;
  }

  /** Stop listening, end every connection, remove the socket file; tokens handed out are void. */
  close(): void {
    const server = this.server;
    this.server = null;
    server?.close();
    for (const s of [...this.connections, ...this.pending]) s.destroy();
    this.connections.clear();
    this.pending.clear();
    this.tokens.clear();
    if (this.file) {
      try {
        unlinkSync(this.file);
      } catch {
        /* already gone */
      }
    }
    this.file = null;
  }

  /** Connections admitted by a token, and those still owing their hello. */
  get connectionCount(): number {
    return this.connections.size + this.pending.size;
  }

  private onConnection(socket: Socket): void {
    socket.on('error', () => socket.destroy());
    if (this.pending.size >= (this.options.maxPending ?? DEFAULT_MAX_PENDING)) {
      const oldest = this.pending.values().next().value!;
      this.pending.delete(oldest);
      this.refused.pending++;
      oldest.destroy();
    }
    this.pending.add(socket);
    let held = Buffer.alloc(0);
    const drop = () => {
      this.refused.hello++;
      cleanup();
      socket.destroy();
    };
    const timer = setTimeout(drop, this.options.helloTimeoutMs ?? HELLO_TIMEOUT_MS);
    const cleanup = () => {
      clearTimeout(timer);
      this.pending.delete(socket);
      socket.off('data', onData);
      socket.off('end', drop);
    };
    socket.once('close', () => {
      cleanup();
      this.connections.delete(socket);
    });
    const onData = (chunk: Buffer) => {
      const nl = chunk.indexOf(0x0a);
      if (nl < 0) {
        if (held.length + chunk.length >= HELLO_MAX_BYTES) return drop();
        held = Buffer.concat([held, chunk]);
        return;
      }
      if (held.length + nl >= HELLO_MAX_BYTES) return drop();
      const line = Buffer.concat([held, chunk.subarray(0, nl)]).toString('latin1');
      const rest = chunk.subarray(nl + 1);
      const m = /^([a-z][a-z0-9-]{0,31}) ([0-9a-f]{48})$/.exec(line);
      const grant = m ? this.tokens.get(m[2]!) : undefined;
      const handler = grant && grant.service === m![1] ? this.services.get(grant.service) : undefined;
      if (!handler) return drop();
      cleanup();
      if (this.connections.size >= (this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS)) {
        this.refused.bound++;
        return void socket.destroy();
      }
      this.connections.add(socket);
      socket.pause();
      if (rest.length) socket.unshift(rest);
      handler(socket, m![2]!);
    };
    socket.on('data', onData);
    socket.once('end', drop);
    socket.resume();
  }
}

/** A directory younger than this is never pruned: its server may be about to create its container. */
const PRUNE_MIN_AGE_MS = 10 * 60_000;

/**
 * Remove the empty sandbox directories under `base` whose container is gone (removed outside a server: `docker rm`,
 * a test fixture). Only empty ones (a live server's socket keeps its directory), only ours, only old ones.
 */
export function pruneHostSocketDirs(base: string, liveContainers: Set<string>, now = Date.now()): string[] {
  const pruned: string[] = [];
  let names: string[];
  try {
    checkOwnDir(base);
    names = readdirSync(base);
  } catch {
    return pruned;
  }
  for (const name of names) {
    if (liveContainers.has(name) || !/^suna-[a-zA-Z0-9_.-]+$/.test(name)) continue;
    const dir = join(base, name);
    try {
      const st = lstatSync(dir);
      if (!st.isDirectory() || now - st.mtimeMs < PRUNE_MIN_AGE_MS) continue;
      rmdirSync(dir); // fails when not empty
      pruned.push(name);
    } catch {
      /* not empty, or gone meanwhile */
    }
  }
  return pruned;
}
