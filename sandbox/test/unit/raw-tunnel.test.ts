// The host end of raw tunnels (sandbox/src/raw-tunnel.ts) on a real host socket, against a hostile sandbox side: a
// connection is joined to a tunnel only with the token made for that tunnel, once, on the socket of the sandbox that
// made it; no token, a reused token, another sandbox's token or a late one get nothing. A flood through a joined
// tunnel to a client that does not read is held back by the kernel (the host holds a few socket buffers, not the
// flood), and every byte then arrives in order.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureHostSocketDir, hostSocketDir, HostSocket } from '../../src/host-socket.ts';
import { expectRawTunnel, joinRaw } from '../../src/raw-tunnel.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The sandbox side: connect to the host socket's file and say hello with `token`; resolves when closed or after ms. */
function dial(path: string, token: string, waitMs = 800): Promise<{ closed: boolean; socket: Socket }> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.on('error', () => {});
    const timer = setTimeout(() => resolve({ closed: false, socket }), waitMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ closed: true, socket });
    });
    socket.write(`tunnel ${token}\n`);
  });
}

describe('raw tunnels over the host socket (host end)', function () {
  this.timeout(60_000);
  let root: string;
  const sockets: HostSocket[] = [];
  const open: Socket[] = [];

  /** A listening host socket for one sandbox, as Sandbox makes it. */
  async function hostSocketFor(name: string): Promise<{ hs: HostSocket; file: string }> {
    const dir = hostSocketDir(name, join(root, 'base'));
    ensureHostSocketDir(dir);
    const hs = new HostSocket({ maxConnections: 8, helloTimeoutMs: 500 });
    await hs.listen(dir);
    sockets.push(hs);
    return { hs, file: hs.hostPath! };
  }

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'suna-raw-'));
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.destroy();
    for (const hs of sockets.splice(0)) hs.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('joins the connection that names its token; the token then admits nothing, nor a made-up one', async () => {
    const { hs, file } = await hostSocketFor('suna-a');
    const t = expectRawTunnel(hs)!;
    assert.match(t.hostSocket.path, /^\/run\/suna-host\/s-[0-9a-f]+\.sock$/, 'the daemon is given the path it sees, in the read-only mount');
    const first = await dial(file, t.hostSocket.token);
    open.push(first.socket);
    assert.equal(first.closed, false);
    const arrived = await t.arrival();
    open.push(arrived);
    const reused = await dial(file, t.hostSocket.token);
    assert.equal(reused.closed, true, 'a spent token is refused');
    const forged = await dial(file, 'ab'.repeat(24));
    assert.equal(forged.closed, true, 'a token nobody issued is refused');
    const none = await dial(file, '');
    assert.equal(none.closed, true);
    // The joined pair carries bytes both ways.
    const client = new Promise<Socket>((resolve) => {
      const server = createServer((s) => resolve(s)).listen(0, '127.0.0.1', () => open.push(connect((server.address() as { port: number }).port, '127.0.0.1')));
      server.unref();
    });
    const clientSide = await client;
    joinRaw(clientSide, arrived, Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    let got = '';
    first.socket.on('data', (d) => (got += d.toString()));
    for (let i = 0; i < 100 && got.length < 21; i++) await sleep(10);
    assert.equal(got, 'ok\nGET / HTTP/1.1\r\n\r\n', 'the host says it took the hello, then the bytes flow');
  });

  it("refuses another sandbox's token, and a token whose tunnel stopped waiting", async () => {
    const a = await hostSocketFor('suna-a');
    const b = await hostSocketFor('suna-b');
    const ta = expectRawTunnel(a.hs)!;
    const atB = await dial(b.file, ta.hostSocket.token);
    assert.equal(atB.closed, true, "sandbox B's socket does not know sandbox A's token");
    ta.cancel();
    const late = await dial(a.file, ta.hostSocket.token);
    assert.equal(late.closed, true, 'a cancelled tunnel admits nothing');
    const noSocket = expectRawTunnel(new HostSocket());
    assert.equal(noSocket, null, 'not listening: the tunnel stays on the exec stream');
  });

  it('a flood to a client that never reads is held back by the kernel; every byte then arrives in order', async () => {
    const { hs, file } = await hostSocketFor('suna-a');
    const t = expectRawTunnel(hs)!;
    const sandboxSide = (await dial(file, t.hostSocket.token)).socket;
    open.push(sandboxSide);
    const daemonEnd = await t.arrival();
    let clientSide!: Socket;
    const server: Server = createServer((s) => (clientSide = s.pause()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const reader = connect((server.address() as { port: number }).port, '127.0.0.1');
    reader.pause(); // the client that does not read
    open.push(reader);
    while (!clientSide) await sleep(10);
    joinRaw(clientSide, daemonEnd, null);
    // The sandbox side floods 256 MiB: it gets only as far as the socket buffers on the way let it.
    const chunk = Buffer.alloc(1024 * 1024, 0x5a);
    const total = 256;
    let written = 0;
    const writeMore = () => {
      while (written < total) {
        written++;
        if (!sandboxSide.write(chunk)) return void sandboxSide.once('drain', writeMore);
      }
      sandboxSide.end();
    };
    writeMore();
    await sleep(1500);
    const held = daemonEnd.readableLength + clientSide.writableLength;
    assert.ok(written < total / 2, `the flood got ${written} MiB through to a client that does not read`);
    assert.ok(held < 4 * 1024 * 1024, `the host holds ${held} bytes of it`);
    // Reading resumes: all of it arrives, intact.
    const h = createHash('sha256');
    let got = 0;
    reader.on('data', (d: Buffer) => (h.update(d), (got += d.length)));
    reader.resume();
    await new Promise<void>((r) => reader.once('end', () => r()));
    const want = createHash('sha256');
    for (let i = 0; i < total; i++) want.update(chunk);
    assert.equal(got, total * chunk.length);
    assert.equal(h.digest('hex'), want.digest('hex'));
    server.close();
  });
});
