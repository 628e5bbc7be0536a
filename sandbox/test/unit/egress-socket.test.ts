// Egress over the host socket against a hostile relay (a compromised sandbox can write anything to the socket):
// the open request goes through the same gate as a channel (refusals never connect), an oversized open line is
// dropped without an answer, the bound on open connections holds, and whatever the peer sends after the verdict
// (a second hello, a second open request, binary) reaches only the destination the gate approved, verbatim.
// The only real connections go to a listener on 127.0.0.1 that the test allows by CIDR.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureHostSocketDir, hostSocketDir, HostSocket } from '../../src/host-socket.ts';
import { policyFor, type EgressConfig } from '../../src/egress/broker.ts';
import { EgressGate, type EgressDecision } from '../../src/egress/gate.ts';
import { ReadBufferPool } from '../../src/egress/read-pool.ts';
import { serveEgressSocket } from '../../src/egress/socket-egress.ts';
import { unreachable } from '../fixtures/unreachable.ts';

interface Peer {
  socket: Socket;
  verdict: Promise<Record<string, unknown> | null>;
  /** Bytes after the verdict line. */
  rest(): Buffer;
  closed: Promise<void>;
}

describe('egress over the host socket', () => {
  let root: string;
  let host: HostSocket;
  let token: string;
  let server: Server;
  let port: number;
  let received: Buffer[];
  let serverSockets: Socket[];
  let connects: string[];
  let decisions: EgressDecision[];
  let gate: EgressGate;
  const tracked = new Set<Socket>();

  function setUp(config: EgressConfig, names: Record<string, string[]> = {}, max = 64): void {
    gate = new EgressGate(() => policyFor(config), async (h) => names[h] ?? [h], (d) => decisions.push(d));
    const pool = new ReadBufferPool();
    host.registerService('egress', (s) =>
      serveEgressSocket(s, {
        gate,
        pool,
        max,
        open: () => tracked.size,
        track: (sock, on) => (on ? tracked.add(sock) : tracked.delete(sock)),
        connect: ((opts: { host: string; port: number }) => {
          connects.push(`${opts.host}:${opts.port}`);
          if (opts.host !== '127.0.0.1') return unreachable(); // the network rule: recorded (and failing the test), never sent
          return connect(opts as never);
        }) as typeof connect,
      }),
    );
    token = host.issueToken('egress');
  }

  function peer(bytes: Buffer | string): Peer {
    const socket = connect(host.hostPath!);
    socket.on('error', () => {});
    let all = Buffer.alloc(0);
    let resolveVerdict: (v: Record<string, unknown> | null) => void;
    const verdict = new Promise<Record<string, unknown> | null>((r) => (resolveVerdict = r));
    socket.on('data', (d: Buffer) => {
      all = Buffer.concat([all, d]);
      const nl = all.indexOf(0x0a);
      if (nl >= 0) resolveVerdict(JSON.parse(all.subarray(0, nl).toString()));
    });
    const closed = new Promise<void>((r) =>
      socket.on('close', () => {
        resolveVerdict(null);
        r();
      }),
    );
    socket.write(bytes);
    return { socket, verdict, closed, rest: () => all.subarray(all.indexOf(0x0a) + 1) };
  }

  before(async () => {
    server = createServer((s) => {
      s.on('error', () => {});
      serverSockets.push(s);
      s.on('data', (d: Buffer) => received.push(d));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  after(() => server.close());
  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'suna-egs-'));
    const dir = hostSocketDir('suna-egs', join(root, 'base'));
    ensureHostSocketDir(dir);
    host = new HostSocket();
    await host.listen(dir);
    received = [];
    serverSockets = [];
    connects = [];
    decisions = [];
  });
  afterEach(() => {
    host.close();
    for (const s of serverSockets) s.destroy();
    tracked.clear();
    rmSync(root, { recursive: true, force: true });
  });

  it('connects an allowed destination; what the peer sends after the verdict reaches only it, verbatim, and is counted', async () => {
    setUp({ mode: 'allowlist', allow: ['127.0.0.1/32'] });
    const p = peer(`egress ${token}\n${JSON.stringify({ host: '127.0.0.1', port })}\n`);
    assert.deepEqual(await p.verdict, { opened: { address: '127.0.0.1' } });
    // A hostile peer tries a second hello and a second open request (to a blocked address), then binary.
    const hostile = Buffer.concat([Buffer.from(`egress ${token}\n${JSON.stringify({ host: '10.0.0.1', port: 80 })}\n`), randomBytes(200_000)]);
    p.socket.write(hostile);
    for (let i = 0; i < 100 && Buffer.concat(received).length < hostile.length; i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(Buffer.concat(received).equals(hostile), 'the approved destination got exactly those bytes');
    assert.deepEqual(connects, [`127.0.0.1:${port}`], 'nothing else was connected');
    serverSockets[0]!.end('pong');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(p.rest().toString(), 'pong');
    p.socket.end();
    await p.closed;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(decisions.length, 1);
    assert.deepEqual({ ...decisions[0], at: '' }, { at: '', host: '127.0.0.1', port, address: '127.0.0.1', verdict: 'allowed', why: 'allowed by 127.0.0.1/32', bytesUp: hostile.length, bytesDown: 4, open: false });
  });

  it('a peer that never reads cannot make the host read a destination without bound', async () => {
    setUp({ mode: 'allowlist', allow: ['127.0.0.1/32'] });
    const p = peer(`egress ${token}\n${JSON.stringify({ host: '127.0.0.1', port })}\n`);
    assert.ok('opened' in (await p.verdict)!);
    p.socket.pause(); // reads nothing more
    const dest = serverSockets[0]!;
    let offered = 0;
    const chunk = Buffer.alloc(1024 * 1024, 7);
    for (let i = 0; i < 64 && dest.write(chunk); i++) offered += chunk.length; // until the destination's own buffer fills
    for (let i = 0; i < 60; i++) {
      offered += dest.write(chunk) ? chunk.length : 0;
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 300));
    const read = gate.totals.down;
    // What the host read is what the kernel buffers on both sockets plus one pooled read: far below what was offered.
    assert.ok(read < 16 * 1024 * 1024, `the host read ${read} bytes from the destination`);
    assert.ok(dest.writableLength > 32 * 1024 * 1024 || offered < 64 * 1024 * 1024, 'the destination is held back by the host, not drained');
    p.socket.destroy();
  });

  it('refuses what the gate refuses (same reasons as the exec stream) without connecting', async () => {
    setUp({ mode: 'public', allow: [] }, { 'metadata.google.internal': ['169.254.169.254'], 'rebind.example': ['10.0.0.1'] });
    const cases: Array<[string, number, RegExp]> = [
      [JSON.stringify({ host: '169.254.169.254', port: 80 }), 403, /link-local \(cloud metadata\)/],
      [JSON.stringify({ host: '127.0.0.1', port }), 403, /loopback/],
      [JSON.stringify({ host: 'metadata.google.internal', port: 80 }), 403, /169\.254\.169\.254 is a link-local/],
      [JSON.stringify({ host: 'rebind.example', port: 443 }), 403, /private address/],
      [JSON.stringify({ host: 'x\r\ny', port: 80 }), 400, /not a valid host and port/],
      ['{not json', 400, /malformed request/],
    ];
    for (const [lineText, status, why] of cases) {
      const p = peer(`egress ${token}\n${lineText}\n`);
      const v = (await p.verdict) as { refused: { status: number; reason: string } };
      assert.equal(v.refused.status, status, lineText);
      assert.match(v.refused.reason, why);
      await p.closed;
    }
    assert.deepEqual(connects, []);
    assert.equal(decisions.length, cases.length);
    assert.ok(decisions.every((d) => d.verdict === 'denied' && !d.open));
  });

  it('drops an oversized open line without an answer, and never connects', async () => {
    setUp({ mode: 'allowlist', allow: ['127.0.0.1/32'] });
    const p = peer(Buffer.concat([Buffer.from(`egress ${token}\n`), Buffer.alloc(64 * 1024, 0x20), Buffer.from(`${JSON.stringify({ host: '127.0.0.1', port })}\n`)]));
    assert.equal(await p.verdict, null);
    await p.closed;
    assert.deepEqual(connects, []);
  });

  it('bounds the connections open at once (both transports count against the same bound in the broker)', async () => {
    setUp({ mode: 'allowlist', allow: ['127.0.0.1/32'] }, {}, 3);
    const open = `egress ${token}\n${JSON.stringify({ host: '127.0.0.1', port })}\n`;
    const peers = [peer(open), peer(open), peer(open)];
    for (const p of peers) assert.ok('opened' in (await p.verdict)!);
    const fourth = (await peer(open).verdict) as { refused: { status: number; reason: string } };
    assert.equal(fourth.refused.status, 502);
    assert.match(fourth.refused.reason, /more than 3 connections at once/);
    assert.equal(connects.length, 3);
    for (const p of peers) p.socket.destroy();
  });
});
