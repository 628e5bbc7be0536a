// Tunnels under credit flow control (sandbox/daemon/tunnel-flow.ts): bytes cross the daemon channel raw, with no
// answer per write, and each side holds at most a window unacknowledged. What must hold against a hostile page or
// a stalled reader, on a real sandbox through port_expose: a sandbox server that floods a host client which never
// reads is stopped by TCP back-pressure (it cannot write the whole flood, and the server process does not buffer
// it), a host client that floods a sandbox server which never reads is stopped the same way, and once the reader
// reads, every byte arrives intact and in order. (Forged frame sizes and a host or daemon writing past its window
// are refused in sandbox/test/unit: daemon-client.test.ts and daemon-ops.test.ts; tokens on the host socket in
// raw-tunnel.test.ts and attacks-tunnel-raw.test.ts.)
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { startServer, type TestServer } from '../fixtures/server.ts';
import { memoryKb, sleep, waitFor } from './helpers.ts';

const MB = 1024 * 1024;
/** More than every buffer on the way could hold (socket buffers autotune up to 32 MiB here, per socket). */
const FLOOD_MB = 192;
/** What may sit in kernel socket buffers on both sides plus one window; far below the flood. */
const STALLED_MAX_MB = 120;
/** The server process may not hold the flood (it holds a window per tunnel; the rest is heap noise). Without flow
 * control it grew by 270–365 MiB here. */
const RSS_GROWTH_MAX_MB = 64;

/** The flood's bytes: 64 KiB of a fixed pattern, repeated. */
const PATTERN = Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 7 + (i >> 8)) % 256));
const floodHash = () => {
  const h = createHash('sha256');
  for (let i = 0; i < (FLOOD_MB * MB) / PATTERN.length; i++) h.update(PATTERN);
  return h.digest('hex');
};
const PATTERN_PY = 'bytes(((i * 7 + (i >> 8)) % 256) for i in range(65536))';

/**
 * A sandbox server on `port` that takes the first connection that sends something (probes send nothing: peeked,
 * not read), waits for the file `waitFor` if given, then reads to the end (pausing `pauseS` after each 64 KiB read
 * if given) and writes "count sha256" to `report`.
 */
function sinkServer(port: number, report: string, o: { waitFor?: string; pauseS?: number }): string {
  return `import hashlib, os, socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", ${port})); s.listen(4)
while True:
    c, _ = s.accept()
    if c.recv(1, socket.MSG_PEEK): break
    c.close()
while ${o.waitFor ? `not os.path.exists("${o.waitFor}")` : 'False'}: time.sleep(0.1)
h = hashlib.sha256(); n = 0
while True:
    d = c.recv(${o.pauseS ? '1 << 16' : '1 << 20'})
    if not d: break
    h.update(d); n += len(d)${o.pauseS ? `; time.sleep(${o.pauseS})` : ''}
open("${report}.tmp", "w").write(f"{n} {h.hexdigest()}"); os.rename("${report}.tmp", "${report}")`;
}

/** Polls `read` until it stops changing (the writer is stuck), bounded. */
async function settled(read: () => Promise<number>): Promise<number> {
  let last = -1;
  for (let i = 0; i < 40; i++) {
    const now = await read();
    if (now === last && now > 0) return now;
    last = now;
    await sleep(1000);
  }
  return last;
}

// Both transports: the exec stream (credit windows) and, where the engine is local, the host socket (raw, the
// kernel's flow control; SUNA_HOST_SOCKET=on here since this machine's dockerd shares the test's filesystem).
for (const [transport, hostSocket] of [['exec stream', 'off'], ['host socket', 'on']] as const)
describe(`reliability: tunnel flow control (a flooding or non-reading side), over the ${transport}`, function () {
  this.timeout(300_000);
  let s: TestServer;
  const sh = async (command: string) => String((await s.ok('shell_exec', { command })).structured?.stdout ?? '').trim();
  const expose = async (port: number) => Number(new URL(String((await s.ok('port_expose', { port })).structured?.url)).port);
  const rssMb = () => memoryKb(s.transport.pid!).rss / 1024;

  before(async () => {
    s = await startServer({ env: { SUNA_HOST_SOCKET: hostSocket } });
    await s.ok('shell_exec', { command: 'true' });
  });
  after(async () => s?.close());

  it('a sandbox server flooding a host client that never reads is held back; the bytes then arrive intact', async () => {
    // Floods the connection that asks (probes, like port_expose's, ask nothing) and records how far it got after
    // every chunk (sendall blocks when the tunnel pushes back).
    const server = `import socket
p = ${PATTERN_PY}
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 8411)); s.listen(4)
while True:
    c, _ = s.accept()
    if c.recv(1) == b"g": break
    c.close()
for i in range(${(FLOOD_MB * MB) / PATTERN.length}):
    c.sendall(p)
    open("/tmp/flood-sent", "w").write(str((i + 1) * len(p)))
c.close()`;
    await s.ok('file_write', { path: 'flood.py', content: server });
    await s.ok('shell_start', { command: 'exec python3 flood.py' });
    await waitFor('the flood server', async () => (await s.call('shell_exec', { command: 'exec 3<>/dev/tcp/127.0.0.1/8411' })).structured?.exit_code === 0, 30_000, 200);
    const rssBefore = rssMb();
    const port = await expose(8411);
    const client: Socket = connect({ host: '127.0.0.1', port });
    client.pause(); // never reads (until told to)
    await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject));
    client.write('g');
    const sent = await settled(async () => Number((await sh('cat /tmp/flood-sent 2>/dev/null || echo 0')) || 0));
    const growth = rssMb() - rssBefore;
    if (process.env.SUNA_TEST_VERBOSE) console.log(`stalled: the sandbox wrote ${(sent / MB).toFixed(1)} MiB; the server grew ${growth.toFixed(1)} MiB`);
    assert.ok(sent < STALLED_MAX_MB * MB, `the sandbox wrote ${(sent / MB).toFixed(1)} MiB to a client that reads nothing`);
    assert.ok(growth < RSS_GROWTH_MAX_MB, `the server grew by ${growth.toFixed(1)} MiB holding a stalled tunnel`);

    const hash = createHash('sha256');
    let got = 0;
    const done = new Promise<void>((resolve) => client.once('end', resolve));
    client.on('data', (d: Buffer) => (hash.update(d), (got += d.length)));
    client.resume();
    await done;
    assert.equal(got, FLOOD_MB * MB);
    assert.equal(hash.digest('hex'), floodHash(), 'every byte arrives, in order');
    client.destroy();
    await s.ok('port_close', { port: 8411 });
  });

  it('a host client flooding a sandbox server that never reads is held back; the bytes then arrive intact', async () => {
    // Reads nothing until /tmp/drain exists, then everything.
    const server = sinkServer(8412, '/tmp/got', { waitFor: '/tmp/drain' });
    await sh('rm -f /tmp/drain /tmp/got');
    await s.ok('file_write', { path: 'sink.py', content: server });
    await s.ok('shell_start', { command: 'exec python3 sink.py' });
    await waitFor('the sink server', async () => (await s.call('shell_exec', { command: 'exec 3<>/dev/tcp/127.0.0.1/8412' })).structured?.exit_code === 0, 30_000, 200);
    const rssBefore = rssMb();
    const port = await expose(8412);
    const client: Socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject));
    const chunks = (FLOOD_MB * MB) / PATTERN.length;
    let written = 0;
    /** Writes until the tunnel stops taking bytes (no 'drain' within 3 s), or everything is written. */
    const pump = async (stallMs: number): Promise<void> => {
      while (written < chunks) {
        written++;
        if (!client.write(PATTERN)) {
          const drained = await Promise.race([new Promise<boolean>((r) => client.once('drain', () => r(true))), sleep(stallMs).then(() => false)]);
          if (!drained) return;
        }
      }
    };
    await pump(3000);
    const accepted = client.bytesWritten - client.writableLength;
    const growth = rssMb() - rssBefore;
    if (process.env.SUNA_TEST_VERBOSE) console.log(`stalled: the tunnel took ${(accepted / MB).toFixed(1)} MiB; the server grew ${growth.toFixed(1)} MiB`);
    assert.ok(written < chunks, 'the client was held back before the end of the flood');
    assert.ok(accepted < STALLED_MAX_MB * MB, `the tunnel took ${(accepted / MB).toFixed(1)} MiB for a server that reads nothing`);
    assert.ok(growth < RSS_GROWTH_MAX_MB, `the server grew by ${growth.toFixed(1)} MiB holding a stalled tunnel`);

    await sh('touch /tmp/drain');
    await pump(120_000);
    client.end();
    await waitFor('the sink to report', async () => (await sh('cat /tmp/got 2>/dev/null || true')) !== '', 120_000, 250);
    assert.equal(await sh('cat /tmp/got'), `${FLOOD_MB * MB} ${floodHash()}`, 'every byte arrives, in order');
    client.destroy();
    await s.ok('port_close', { port: 8412 });
  });

  it('a host client that sends everything and hangs up while the sandbox server still reads slowly: every byte arrives', async () => {
    // The client's close must not overtake its last bytes: with a slow reader they sit in the buffers on the way (the
    // daemon's, the host socket's) when the client has gone. The server reads 64 KiB every 10 ms.
    const server = sinkServer(8413, '/tmp/got2', { pauseS: 0.01 });
    await sh('rm -f /tmp/got2');
    await s.ok('file_write', { path: 'sink2.py', content: server });
    await s.ok('shell_start', { command: 'exec python3 sink2.py' });
    await waitFor('the sink server', async () => (await s.call('shell_exec', { command: 'exec 3<>/dev/tcp/127.0.0.1/8413' })).structured?.exit_code === 0, 30_000, 200);
    const port = await expose(8413);
    const payload = Buffer.concat(Array.from({ length: 256 }, () => PATTERN)); // 16 MiB: a few seconds at the server's pace
    const client: Socket = connect({ host: '127.0.0.1', port });
    client.on('error', () => {});
    client.end(payload);
    await waitFor('the sink to report', async () => (await sh('cat /tmp/got2 2>/dev/null || true')) !== '', 120_000, 250);
    const expected = createHash('sha256').update(payload).digest('hex');
    assert.equal(await sh('cat /tmp/got2'), `${payload.length} ${expected}`, 'every byte arrives, in order');
    client.destroy();
    await s.ok('port_close', { port: 8413 });
  });
});
