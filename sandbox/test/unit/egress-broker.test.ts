// The broker against a hostile relay: a compromised sandbox can send any frame, so every OPEN is validated and
// judged on the resolved address BEFORE anything is connected (the connect seam proves no packet would leave),
// a malformed stream ends the relay, and per-channel credit stops the broker reading a destination the sandbox
// does not consume. The only real connections go to a listener on 127.0.0.1 that the test allows by CIDR.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import { createHash, randomBytes } from 'node:crypto';
import { encodeFrame, FrameDecoder, FrameType, jsonPayload, MAX_PAYLOAD, WINDOW_BYTES, windowPayload, type Frame } from '../../egress/protocol.ts';
import type { ReadBufferPool } from '../../src/egress/read-pool.ts';
import { EgressBroker, type EgressConfig, type EgressDecision } from '../../src/egress/broker.ts';
import { unreachable } from '../fixtures/unreachable.ts';

/**
 * A fake relay: an engine stand-in whose helper exec is a pair of pipes the test drives frame by frame. What the
 * broker writes is copied on arrival, as the kernel does for a real socket: the broker reuses its read buffers once
 * a write has completed.
 */
function fakeRelay(writes: 'at once' | 'deferred' | 'never' = 'at once') {
  const fromRelay = new PassThrough();
  const frames: Frame[] = [];
  const decoder = new FrameDecoder();
  const arrived = new EventEmitter();
  const take = (chunk: Buffer) => {
    for (const f of decoder.push(Buffer.from(chunk))) {
      frames.push(f);
      arrived.emit('frame');
    }
  };
  // Like a socket, a write completes only once the chunk has been taken. 'deferred': it is taken later (a busy
  // engine connection); 'never': the relay's stdin is never drained (a stalled or hostile relay).
  const stream = new Duplex({
    read() {}, // its output is fromRelay, already demuxed
    write(chunk: Buffer, _enc, done) {
      if (writes === 'never') return;
      if (writes === 'deferred') return void setImmediate(() => (take(chunk), done()));
      take(chunk);
      done();
    },
  });
  const engine = {
    attachHelper: async () => ({ stream, stdout: fromRelay, stderr: new PassThrough() }),
    hostGatewayAddresses: async () => ['172.17.0.1'],
  };
  const container = {};
  return {
    engine,
    container,
    stream,
    frames,
    send: (type: FrameType, channel: number, payload?: Buffer) => fromRelay.write(encodeFrame(type, channel, payload)),
    /** Bytes as a compromised relay could write them, bypassing the encoder. */
    raw: (bytes: Buffer) => fromRelay.write(bytes),
    ready: () => fromRelay.write(encodeFrame(FrameType.opened, 0, jsonPayload({ address: '127.0.0.1:3128' }))),
    async waitFor(pred: (f: Frame) => boolean, ms = 5000): Promise<Frame> {
      const deadline = Date.now() + ms;
      for (;;) {
        const hit = frames.find(pred);
        if (hit) return hit;
        if (Date.now() > deadline) throw new Error(`no such frame; got ${frames.map((f) => `${f.type}/${f.channel}`).join(' ')}`);
        await new Promise((r) => arrived.once('frame', r).once('tick', r) && setTimeout(() => arrived.emit('tick'), 50));
      }
    },
  };
}

async function startBroker(config: EgressConfig, resolve: (host: string) => Promise<string[]> = async (h) => [h], writes?: Parameters<typeof fakeRelay>[0]) {
  const relay = fakeRelay(writes);
  const connects: string[] = [];
  const decisions: EgressDecision[] = [];
  const broker = new EgressBroker(relay.engine, config, () => {}, {
    resolve,
    connect: ((opts: { host: string; port: number }) => {
      connects.push(`${opts.host}:${opts.port}`);
      if (opts.host !== '127.0.0.1') return unreachable(); // the network rule: recorded (and failing the test), never sent
      return connect(opts as never);
    }) as typeof connect,
  });
  broker.on('decision', (d) => decisions.push(d));
  const started = broker.start(relay.container);
  relay.ready();
  await started;
  return { broker, relay, connects, decisions };
}

const open = (host: unknown, port: unknown) => jsonPayload({ host, port });

describe('egress broker', () => {
  let server: Server;
  let port: number;
  let serverSockets: Socket[] = [];
  before(async () => {
    server = createServer((s) => {
      s.on('error', () => {}); // the broker resets connections it stops
      serverSockets.push(s);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterEach(() => {
    for (const s of serverSockets) s.destroy();
    serverSockets = [];
  });
  after(() => server.close());

  it('refuses blocked destinations and hostile OPEN frames without ever connecting', async () => {
    const names: Record<string, string[]> = { 'metadata.google.internal': ['169.254.169.254'], 'rebind.example': ['10.0.0.1', 'fd00::1'], 'gateway.example': ['172.17.0.1'] };
    const { broker, relay, connects, decisions } = await startBroker({ mode: 'public', allow: [] }, async (h) => names[h] ?? [h]);
    const hostile: Array<[Buffer, number, RegExp]> = [
      [open('169.254.169.254', 80), 403, /link-local \(cloud metadata\)/],
      [open('fd00:ec2::254', 80), 403, /unique-local/],
      [open('::ffff:169.254.169.254', 80), 403, /link-local/],
      [open('0.0.0.0', 80), 403, /unspecified/],
      [open('127.0.0.1', port), 403, /loopback/],
      [open('metadata.google.internal', 80), 403, /169\.254\.169\.254 is a link-local/],
      [open('rebind.example', 443), 403, /10\.0\.0\.1 is a private address/],
      [open('gateway.example', 2375), 403, /private/],
      [open('evil.example\r\nX-Injected: 1', 80), 400, /not a valid host and port/],
      [open('a'.repeat(400), 80), 400, /not a valid host and port/],
      [open({ toString: 1 }, 80), 400, /not a valid host and port/],
      [open('example.com', 0), 400, /not a valid host and port/],
      [open('example.com', 70000), 400, /not a valid host and port/],
      [open('example.com', '443'), 400, /not a valid host and port/],
      [Buffer.from('{not json'), 400, /malformed request/],
    ];
    let channel = 10;
    for (const [payload, status, why] of hostile) {
      const id = ++channel;
      relay.send(FrameType.open, id, payload);
      const f = await relay.waitFor((x) => x.channel === id && x.type === FrameType.refused);
      const r = JSON.parse(f.payload.toString()) as { status: number; reason: string };
      assert.equal(r.status, status, `${payload.toString().slice(0, 60)} → ${r.reason}`);
      assert.match(r.reason, why);
    }
    assert.deepEqual(connects, [], 'nothing was connected');
    assert.equal(decisions.length, hostile.length);
    assert.ok(decisions.every((d) => d.verdict === 'denied' && !d.open));
    assert.ok(decisions.every((d) => !/[\r\n]/.test(d.host)), 'no control characters reach logs or sandbox_status');
    assert.equal(broker.status().connections.denied, hostile.length);
    broker.stop();
  });

  it('connects an allowed destination, pipes both ways, and reports the bytes when it closes', async () => {
    const { broker, relay, connects, decisions } = await startBroker({ mode: 'allowlist', allow: ['127.0.0.1/32'] });
    relay.send(FrameType.open, 1, open('127.0.0.1', port));
    await relay.waitFor((f) => f.channel === 1 && f.type === FrameType.opened);
    assert.deepEqual(connects, [`127.0.0.1:${port}`]);
    relay.send(FrameType.data, 1, Buffer.from('ping'));
    await new Promise((r) => setTimeout(r, 100));
    const peer = serverSockets[0]!;
    const got = await new Promise<string>((r) => peer.once('data', (d: Buffer) => r(d.toString())));
    assert.equal(got, 'ping');
    peer.end('pong!');
    const data = await relay.waitFor((f) => f.channel === 1 && f.type === FrameType.data);
    assert.equal(data.payload.toString(), 'pong!');
    await relay.waitFor((f) => f.channel === 1 && f.type === FrameType.end);
    await relay.waitFor((f) => f.channel === 1 && f.type === FrameType.window);
    relay.send(FrameType.close, 1);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(decisions.length, 1);
    assert.deepEqual({ ...decisions[0], at: '' }, { at: '', host: '127.0.0.1', port, address: '127.0.0.1', verdict: 'allowed', why: 'allowed by 127.0.0.1/32', bytesUp: 4, bytesDown: 5, open: false });
    broker.stop();
  });

  it('stops reading a destination once the window is used up, and resumes on credit', async () => {
    const { broker, relay } = await startBroker({ mode: 'public', allow: ['127.0.0.1/32'] });
    relay.send(FrameType.open, 7, open('127.0.0.1', port));
    await relay.waitFor((f) => f.channel === 7 && f.type === FrameType.opened);
    await new Promise((r) => setTimeout(r, 50));
    const peer = serverSockets[0]!;
    const chunk = Buffer.alloc(256 * 1024, 1);
    for (let i = 0; i < 40; i++) peer.write(chunk); // 10 MiB offered
    await new Promise((r) => setTimeout(r, 500));
    const received = () => relay.frames.filter((f) => f.channel === 7 && f.type === FrameType.data).reduce((n, f) => n + f.payload.length, 0);
    const before = received();
    assert.ok(before >= WINDOW_BYTES && before <= WINDOW_BYTES + 256 * 1024, `sent ${before} bytes without credit`);
    relay.send(FrameType.window, 7, windowPayload(before));
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(received() >= 2 * WINDOW_BYTES - 256 * 1024, `after credit: ${received()}`);
    broker.stop();
  });

  it('a download read into pooled buffers arrives intact when the engine connection takes each write late', async () => {
    const { broker, relay } = await startBroker({ mode: 'public', allow: ['127.0.0.1/32'] }, undefined, 'deferred');
    relay.send(FrameType.open, 3, open('127.0.0.1', port));
    await relay.waitFor((f) => f.channel === 3 && f.type === FrameType.opened);
    await new Promise((r) => setTimeout(r, 50));
    const body = randomBytes(24 * 1024 * 1024);
    serverSockets[0]!.end(body);
    const received: Buffer[] = [];
    const deadline = Date.now() + 30_000;
    for (let seen = 0, ended = false; !ended; ) {
      assert.ok(Date.now() < deadline, 'the download did not finish');
      const fresh = relay.frames.slice(seen).filter((f) => f.channel === 3);
      seen = relay.frames.length;
      const data = fresh.filter((f) => f.type === FrameType.data).map((f) => f.payload);
      received.push(...data);
      const got = data.reduce((k, p) => k + p.length, 0);
      if (got) relay.send(FrameType.window, 3, windowPayload(got)); // the client consumed it
      ended = fresh.some((f) => f.type === FrameType.end);
      if (!ended) await new Promise((r) => setTimeout(r, 5));
    }
    const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    assert.equal(digest(Buffer.concat(received)), digest(body), 'every byte in order, none overwritten by a reused buffer');
    const pool = (broker as unknown as { pool: ReadBufferPool }).pool;
    assert.ok(pool.allocated < received.length / 2, `${pool.allocated} read buffers for ${received.length} reads: reads reuse them`);
    broker.stop();
  });

  it('a relay that lies about credit and never drains its stdin cannot make the host read a destination without bound', async () => {
    const { broker, relay } = await startBroker({ mode: 'public', allow: ['127.0.0.1/32'] }, undefined, 'never');
    relay.send(FrameType.open, 5, open('127.0.0.1', port));
    await new Promise((r) => setTimeout(r, 300)); // 'opened' is written but never taken: the relay does not read
    for (let i = 0; i < 20; i++) relay.send(FrameType.window, 5, windowPayload(0xffffffff));
    const peer = serverSockets[0]!;
    const chunk = Buffer.alloc(1024 * 1024, 7);
    for (let i = 0; i < 48; i++) peer.write(chunk); // 48 MiB offered
    await new Promise((r) => setTimeout(r, 1000));
    const down = broker.status().bytes.down;
    assert.ok(down > 0 && down <= WINDOW_BYTES + 2 * MAX_PAYLOAD, `the host read ${down} bytes for a relay that took none`);
    broker.stop();
  });

  it('a relay that sends past its credit to a destination that does not read gets the channel closed', async () => {
    const { broker, relay, decisions } = await startBroker({ mode: 'public', allow: ['127.0.0.1/32'] });
    relay.send(FrameType.open, 9, open('127.0.0.1', port));
    await relay.waitFor((f) => f.channel === 9 && f.type === FrameType.opened);
    serverSockets[0]!.pause(); // the destination takes nothing more than its socket buffers hold
    const frame = Buffer.alloc(MAX_PAYLOAD, 1);
    for (let i = 0; i < 1024 && !relay.frames.some((f) => f.channel === 9 && f.type === FrameType.close); i++) {
      relay.send(FrameType.data, 9, frame); // 64 MiB at most, no credit waited for
      if (i % 64 === 63) await new Promise((r) => setTimeout(r, 20));
    }
    await relay.waitFor((f) => f.channel === 9 && f.type === FrameType.close);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(decisions.length, 1);
    assert.match(decisions[0]!.why, /past its credit window/);
    assert.ok(decisions[0]!.bytesUp <= 2 * WINDOW_BYTES + 32 * 1024 * 1024, `${decisions[0]!.bytesUp} bytes accepted`);
    broker.stop();
  });

  it('a relay flooding tiny data frames and split frames at a destination that does not read: bounded host memory, other channels keep flowing', async function () {
    this.timeout(60_000);
    const { broker, relay, decisions } = await startBroker({ mode: 'public', allow: ['127.0.0.1/32'] });
    relay.send(FrameType.open, 21, open('127.0.0.1', port));
    await relay.waitFor((f) => f.channel === 21 && f.type === FrameType.opened);
    await new Promise((r) => setTimeout(r, 50));
    const stalled = serverSockets[0]!;
    stalled.pause(); // takes nothing beyond what the kernel buffers
    relay.send(FrameType.open, 22, open('127.0.0.1', port));
    await relay.waitFor((f) => f.channel === 22 && f.type === FrameType.opened);
    await new Promise((r) => setTimeout(r, 50));
    const healthy = serverSockets[1]!;
    const upload = createHash('sha256');
    let uploaded = 0;
    healthy.on('data', (d: Buffer) => ((uploaded += d.length), upload.update(d)));
    const channels = (broker as unknown as { channels: Map<number, { upload?: { pending: number } }> }).channels;
    const sent = createHash('sha256');
    let sentBytes = 0;
    let maxPending = 0;
    // 1-byte frames (10 wire bytes per byte), then 64 KiB frames split into 7-byte pieces, for channel 21, with a
    // well-behaved 4 KiB frame for channel 22 after each batch; 1 MiB in all for channel 21, inside its credit window.
    for (let batch = 0; batch < 16; batch++) {
      const frames: Buffer[] = [];
      if (batch % 2 === 0) for (let i = 0; i < 65536; i++) frames.push(encodeFrame(FrameType.data, 21, Buffer.of(i & 0xff)));
      else frames.push(encodeFrame(FrameType.data, 21, Buffer.alloc(MAX_PAYLOAD, batch)));
      const wire = Buffer.concat(frames);
      const step = batch % 2 === 0 ? 65536 * 10 : 7;
      for (let at = 0; at < wire.length; at += step) relay.raw(wire.subarray(at, at + step));
      const fine = randomBytes(4096);
      sent.update(fine);
      sentBytes += fine.length;
      relay.send(FrameType.data, 22, fine);
      await new Promise((r) => setImmediate(r));
      maxPending = Math.max(maxPending, channels.get(21)?.upload?.pending ?? 0);
    }
    const deadline = Date.now() + 10_000;
    while (uploaded < sentBytes && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    maxPending = Math.max(maxPending, channels.get(21)?.upload?.pending ?? 0);
    assert.equal(upload.digest('hex'), sent.digest('hex'), 'the healthy channel got every byte, in order, meanwhile');
    assert.ok(maxPending <= WINDOW_BYTES / (16 * 1024) + 2, `${maxPending} socket writes queued for one stalled channel`);
    assert.ok(channels.has(21), 'within its credit window the stalled channel stays open');
    // Past its window (and the kernel's socket buffers) it is closed, as before.
    for (let i = 0; i < 1024 && channels.has(21); i++) {
      relay.send(FrameType.data, 21, Buffer.alloc(MAX_PAYLOAD, 1));
      if (i % 64 === 63) await new Promise((r) => setTimeout(r, 20));
    }
    await relay.waitFor((f) => f.channel === 21 && f.type === FrameType.close);
    assert.match(decisions.find((d) => d.port === port && /credit/.test(d.why))?.why ?? '', /past its credit window/);
    broker.stop();
  });

  it('ends a relay that sends a malformed stream', async () => {
    const { broker, relay } = await startBroker({ mode: 'public', allow: [] });
    const closed = new Promise((r) => relay.stream.once('close', r));
    relay.raw(Buffer.from([99, 0, 0, 0, 1, 0, 0, 0, 0])); // frame type 99: not something the relay can send
    await closed;
    assert.equal(broker.status().relay, 'stopped');
    broker.stop();
  });
});
