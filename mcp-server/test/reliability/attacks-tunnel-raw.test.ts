// Tunnels over the host socket (sandbox/src/raw-tunnel.ts), on a real sandbox, against the agent: it runs as uid 1000
// in the sandbox where the socket directory is mounted. It cannot write there; it cannot list the directory (the
// socket's name is not the agent's to learn; the test hands it over to try the rest); a connection it makes with no
// token, a forged one or garbage is closed without an answer; a flood of connections is bounded and the server does
// not grow. Meanwhile an exposed port works over the socket (the kernel path), again once the flood is over, and while
// the agent holds bare connections to the socket (the oldest bare one is dropped for it; were the host's "ok" never to
// come, the daemon would fall back to the exec stream).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { hostSocketDir } from '@suna/sandbox';
import { startServer, type TestServer } from '../fixtures/server.ts';
import { memoryKb, sleep, waitFor } from './helpers.ts';

describe('reliability: the host socket against the agent (tunnels)', function () {
  this.timeout(300_000);
  let s: TestServer;
  let socketFile = '';
  const sh = async (command: string) => (await s.ok('shell_exec', { command })).structured as { stdout: string; exit_code: number };
  const expose = async (port: number) => Number(new URL(String((await s.ok('port_expose', { port })).structured?.url)).port);

  /** One request through an exposed port to the sandbox's echo server: what came back. */
  const roundTrip = (port: number) =>
    new Promise<string>((resolve, reject) => {
      const c = connect({ host: '127.0.0.1', port });
      let got = '';
      c.on('data', (d) => {
        got += d.toString();
        if (got.includes('\n')) (c.destroy(), resolve(got.trim()));
      });
      c.on('error', reject);
      c.write('ping\n');
      setTimeout(() => (c.destroy(), reject(new Error(`no answer through the tunnel (got ${JSON.stringify(got)})`))), 20_000);
    });

  before(async () => {
    s = await startServer({ env: { SUNA_HOST_SOCKET: 'on' } });
    await s.ok('shell_exec', { command: 'true' });
    const dir = hostSocketDir(`suna-${s.sandboxName}`);
    socketFile = readdirSync(dir).find((f) => f.endsWith('.sock')) ?? '';
    assert.ok(socketFile, `the server listens in ${dir}`);
    const echo = 'import socket\ns = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 8421)); s.listen(64)\nwhile True:\n    c, _ = s.accept()\n    d = c.recv(100)\n    if d: c.sendall(b"echo " + d)\n    c.close()';
    await s.ok('file_write', { path: 'echo.py', content: echo });
    await s.ok('shell_start', { command: 'exec python3 echo.py' });
    await waitFor('the echo server', async () => (await s.call('shell_exec', { command: 'exec 3<>/dev/tcp/127.0.0.1/8421' })).structured?.exit_code === 0, 30_000, 200);
  });
  after(async () => s?.close());

  it('an exposed port goes over the host socket: one accepted connection per open tunnel', async () => {
    const port = await expose(8421);
    assert.equal(await roundTrip(port), 'echo ping');
    const held = connect({ host: '127.0.0.1', port }); // sends nothing: the echo server waits, the tunnel stays open
    held.on('error', () => {});
    try {
      // The server's end of a connection accepted on its socket lives in the connecting side's network namespace:
      // the sandbox's /proc/net/unix lists it under the socket's host path.
      const onSocket = async () => Number((await sh(`grep -c '${socketFile}$' /proc/net/unix || true`)).stdout.trim());
      await waitFor('the tunnel on the host socket', async () => (await onSocket()) >= 1, 10_000, 200);
    } finally {
      held.destroy();
      await s.ok('port_close', { port: 8421 });
    }
  });

  it('the agent cannot write the socket directory nor list it', async () => {
    const r = await sh('touch /run/suna-host/planted 2>&1; ln -s /etc/passwd /run/suna-host/link 2>&1; ls /run/suna-host 2>&1; id -u');
    assert.match(r.stdout, /Read-only file system/);
    assert.match(r.stdout, /Permission denied/, 'the directory is 0711: not listable by the agent');
    assert.match(r.stdout.trim().split('\n').pop()!, /^1000$/);
  });

  it('no token, a forged token or garbage: closed without an answer; a flood of connections is bounded', async () => {
    const probe = `import socket, sys, time
path = "/run/suna-host/${socketFile}"
def attempt(hello):
    c = socket.socket(socket.AF_UNIX); c.settimeout(8); c.connect(path); c.sendall(hello)
    try:
        return c.recv(100)
    except Exception as e:
        return repr(e).encode()
for hello in [b"tunnel\\n", b"tunnel " + b"ab" * 24 + b"\\n", b"egress " + b"00" * 24 + b"\\n", b"\\x00" * 300, b"GET / HTTP/1.1\\r\\n\\r\\n"]:
    print(attempt(hello))
held, refused = [], 0
for i in range(400):
    try:
        c = socket.socket(socket.AF_UNIX); c.connect(path); held.append(c)
    except Exception:
        refused += 1
time.sleep(1)
alive = 0
for c in held:
    c.setblocking(False)
    try:
        alive += c.recv(1) != b""
    except BlockingIOError:
        alive += 1
    except Exception:
        pass
print("alive", alive, "refused", refused)`;
    await s.ok('file_write', { path: 'probe.py', content: probe });
    const rssBefore = memoryKb(s.transport.pid!).rss / 1024;
    const r = await sh('python3 probe.py');
    const lines = r.stdout.trim().split('\n');
    for (const line of lines.slice(0, 5)) assert.equal(line, "b''", `a hello without a valid token got an answer: ${line}`);
    const [, alive] = /alive (\d+)/.exec(lines[5] ?? '') ?? [];
    assert.ok(Number(alive) <= 32, `the server holds ${alive} of the agent's bare connections at once (bound 32)`);
    assert.ok(memoryKb(s.transport.pid!).rss / 1024 - rssBefore < 64, 'the server does not grow with the flood');
    // Once the flood's connections are gone (closed at the hello deadline), tunnels work again.
    await sleep(6000);
    const port = await expose(8421);
    assert.equal(await roundTrip(port), 'echo ping');
    await s.ok('port_close', { port: 8421 });
  });

  it('while the agent holds bare connections to the socket, a new tunnel still works', async () => {
    const holder = `import socket, time
held = []
for i in range(200):
    c = socket.socket(socket.AF_UNIX); c.connect("/run/suna-host/${socketFile}"); held.append(c)
open("/tmp/held", "w").write("1")
time.sleep(4)`;
    await s.ok('file_write', { path: 'holder.py', content: holder });
    await sh('rm -f /tmp/held');
    await s.ok('shell_start', { command: 'exec python3 holder.py' });
    await waitFor('the agent to hold the slots', async () => (await sh('cat /tmp/held 2>/dev/null || true')).stdout.trim() === '1', 20_000, 50);
    const port = await expose(8421); // its probe and this round trip open tunnels while the agent holds its connections
    assert.equal(await roundTrip(port), 'echo ping');
    await s.ok('port_close', { port: 8421 });
  });
});
