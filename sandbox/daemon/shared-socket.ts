// Where the daemon's other connections come from. The first `docker exec` of a sandbox becomes the daemon
// (it holds /run/suna-daemon.lock through flock(1): see daemonExec in sandbox/src/container.ts) and, besides
// its own stdio, listens on a unix socket in a directory only root can enter; each later exec (another server
// replica, or a reconnect while the daemon lives) finds the lock taken and becomes a bridge: it pipes its stdio
// to that socket, nothing more, and never reads what passes. The sandbox user (uid 1000) cannot search the
// directory, so it cannot connect; /run is a root-owned tmpfs, so it cannot plant the directory or the lock
// first. With the `apt` profile the agent is root inside by design, and can reach it like everything else.
import * as fs from 'node:fs';
import * as net from 'node:net';
import { dirname } from 'node:path';
import type { Link } from './connections.js';

/** The bridge found no daemon listening in time: the wrapper tries the lock again (container.ts). */
export const BRIDGE_NO_DAEMON_EXIT = 76;
const BRIDGE_CONNECT_MS = 5000;

/**
 * Listen on `path` (called as root, before the daemon confines itself). The directory is made 0700 and must be
 * root's own real directory; a stale socket of a killed daemon is replaced (the lock says no other daemon lives).
 */
export async function listenShared(path: string, onConnection: (link: Link) => void): Promise<net.Server> {
  const dir = dirname(path);
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const st = fs.lstatSync(dir);
  if (!st.isDirectory() || st.uid !== 0) throw new Error(`${dir} is not a directory of root's`);
  fs.chmodSync(dir, 0o700);
  fs.rmSync(path, { force: true });
  const server = net.createServer({ pauseOnConnect: false }, (sock) => onConnection(socketLink(sock)));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      fs.chmodSync(path, 0o600);
      server.off('error', reject);
      server.on('error', () => {}); // accept errors (EMFILE…) end one connection, never the daemon
      resolve(server);
    });
  });
}

export function socketLink(sock: net.Socket): Link {
  sock.on('error', () => sock.destroy());
  return {
    onData: (fn) => sock.on('data', fn),
    onEnd: (fn) => sock.once('close', fn),
    write: (data) => void sock.write(data),
    unread: () => sock.writableLength,
    close: () => sock.destroy(),
  };
}

/** The daemon's own stdio (the exec that started it) as a connection. */
export function stdioLink(): Link {
  let closed = false;
  const ends: (() => void)[] = [];
  const end = () => {
    if (closed) return;
    closed = true;
    for (const fn of ends) fn();
  };
  process.stdout.on('error', end);
  process.stdin.once('end', end);
  process.stdin.once('close', end);
  return {
    onData: (fn) => process.stdin.on('data', fn),
    onEnd: (fn) => void ends.push(fn),
    write: (data) => void (closed || process.stdout.write(data)),
    unread: () => process.stdout.writableLength,
    close: () => {
      closed = true;
      process.stdin.pause();
    },
  };
}

/** Bridge mode: stdio ⇄ the daemon's socket, bytes only; exits when either side ends. */
export function runBridge(path: string): void {
  process.title = 'suna-bridge';
  const deadline = Date.now() + BRIDGE_CONNECT_MS;
  const attempt = () => {
    const sock = net.connect(path);
    sock.once('error', () => {
      sock.destroy();
      if (Date.now() < deadline) setTimeout(attempt, 50);
      else process.exit(BRIDGE_NO_DAEMON_EXIT);
    });
    sock.once('connect', () => {
      sock.removeAllListeners('error');
      sock.on('error', () => process.exit(0));
      sock.on('close', () => process.exit(0));
      process.stdin.on('end', () => sock.end());
      process.stdout.on('error', () => process.exit(0));
      process.stdin.pipe(sock);
      sock.pipe(process.stdout);
    });
  };
  attempt();
}
