// The daemon's raw tunnel path (sandbox/daemon/tunnels.ts): where the host gives a unix socket of its own, the daemon
// connects out to it, names the tunnel's one-use token in its first line and, once the host said it took it, pipes
// the sandbox port and that connection raw, with nothing on the daemon stream. A path outside the host's socket
// directory or a malformed token is refused before anything is dialled; a socket that is not there, drops the hello
// or answers otherwise leaves the tunnel on the stream (framed).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DaemonEvent } from '../../daemon/protocol.ts';
import { Tunnels } from '../../daemon/tunnels.ts';

const TOKEN = 'ab'.repeat(24);
const listen = (server: net.Server, at: string | number) => new Promise<void>((r) => (typeof at === 'string' ? server.listen(at, r) : server.listen(at, '127.0.0.1', r)));
const closeServer = (server: net.Server) => new Promise<void>((r) => server.close(() => r()));

describe('daemon raw tunnels (over the host socket)', () => {
  let dir: string;
  let echo: net.Server;
  let port: number;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'suna-raw-tunnel-'));
    echo = net.createServer((s) => s.on('data', (d) => s.write(`echo:${d}`)));
    await listen(echo, 0);
    port = (echo.address() as net.AddressInfo).port;
  });
  afterEach(async () => {
    await closeServer(echo);
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects out to the host socket, sends the token line, then pipes raw both ways with no stream events', async () => {
    const path = join(dir, 's-1.sock');
    let hostSide: net.Socket | null = null;
    const received: Buffer[] = [];
    const host = net.createServer((s) => {
      hostSide = s;
      s.once('data', () => s.write('ok\n')); // takes the hello (raw-tunnel.ts)
      s.on('data', (d) => received.push(d));
    });
    await listen(host, path);
    const events: DaemonEvent[] = [];
    const tunnels = new Tunnels((ev) => void events.push(ev), dir);
    try {
      assert.deepEqual(await tunnels.open({ tunnelId: 't1', port, hostSocket: { path, token: TOKEN } }), { opened: true, raw: true });
      for (let i = 0; i < 50 && !hostSide; i++) await new Promise((r) => setTimeout(r, 10));
      hostSide!.write('hi');
      for (let i = 0; i < 100 && !Buffer.concat(received).toString().includes('echo:hi'); i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(Buffer.concat(received).toString(), `tunnel ${TOKEN}\necho:hi`);
      assert.deepEqual(events, [], 'no bytes of a raw tunnel travel on the daemon stream');
      // A tunnelClose on the stream leaves it alone (it could overtake the connection's last bytes); the host hanging
      // up its connection ends both sides, and the end is said on the stream (the connection that opened it forgets it).
      tunnels.close({ tunnelId: 't1' });
      hostSide!.write('again');
      for (let i = 0; i < 100 && !Buffer.concat(received).toString().includes('echo:again'); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(Buffer.concat(received).toString().endsWith('echo:again'), 'the raw tunnel still carries bytes after a tunnelClose');
      const ended = new Promise<void>((r) => hostSide!.once('close', () => r()));
      hostSide!.end();
      await ended;
      for (let i = 0; i < 100 && !events.length; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(events, [{ ev: 'tunnelClosed', tunnelId: 't1' }]);
    } finally {
      await closeServer(host);
    }
  });

  it('refuses a socket path outside the host socket directory or a malformed token, before dialling anything', async () => {
    const tunnels = new Tunnels(() => {}, dir);
    const outside = join(tmpdir(), `suna-raw-outside-${process.pid}.sock`);
    const dialled: string[] = [];
    const trap = net.createServer((s) => void (dialled.push('outside'), s.destroy()));
    await listen(trap, outside);
    try {
      for (const hostSocket of [
        { path: outside, token: TOKEN },
        { path: `${dir}/../${outside.split('/').pop()}`, token: TOKEN },
        { path: `${dir}/sub/s.sock`, token: TOKEN },
        { path: `${dir}/s.sock`, token: 'not hex\ntunnel x' },
        { path: `${dir}/s.sock`, token: '' },
      ])
        await assert.rejects(tunnels.open({ tunnelId: 't1', port, hostSocket }), (e: Error & { code?: string }) => e.code === 'BAD_REQUEST' && /hostSocket needs/.test(e.message));
      assert.deepEqual(dialled, []);
    } finally {
      await closeServer(trap);
      rmSync(outside, { force: true });
    }
  });

  it('no socket at that path, or one that drops the hello or answers otherwise: the tunnel stays on the stream, framed', async () => {
    const dropping = net.createServer((s) => s.destroy()); // e.g. every slot held by the agent
    const other = net.createServer((s) => s.end('no\n'));
    await listen(dropping, join(dir, 'drop.sock'));
    await listen(other, join(dir, 'other.sock'));
    try {
      for (const [i, name] of ['gone.sock', 'drop.sock', 'other.sock'].entries()) {
        const events: DaemonEvent[] = [];
        const tunnels = new Tunnels((ev) => void events.push(ev), dir);
        const tunnelId = `t${i}`;
        assert.deepEqual(await tunnels.open({ tunnelId, port, hostSocket: { path: join(dir, name), token: TOKEN } }), { opened: true }, name);
        tunnels.write({ tunnelId }, Buffer.from('hi'));
        for (let n = 0; n < 100 && !events.some((e) => e.ev === 'tunnelData'); n++) await new Promise((r) => setTimeout(r, 10));
        assert.equal(events.flatMap((e) => (e.ev === 'tunnelData' ? [e.data.toString()] : [])).join(''), 'echo:hi', name);
        tunnels.close({ tunnelId });
      }
    } finally {
      dropping.close();
      other.close();
    }
  });
});
