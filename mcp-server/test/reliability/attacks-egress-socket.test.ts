// The host socket seen from a hostile sandbox (issue 14): where the engine is local, the server's socket directory is
// bind-mounted read-only into the sandbox and the relay's connections come through it. The agent's code can see the
// mount, so: it cannot write to it (or list it), it cannot get a connection served without the token the relay was
// given over its exec stream (and cannot read that token), an oversized first line costs the host nothing, and
// holding bare connections to the socket does not cut the sandbox off (they are bounded, the oldest dropped first; the
// relay's own connection is still served, else it falls back to its exec stream).
// Packets go only to a network namespace this test creates.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { hostSocketDir, HOST_SOCKET_MOUNT } from '@suna/sandbox';
import { createNetnsHost, type NetnsHost } from '../fixtures/netns.ts';
import { startServer, type TestServer } from '../fixtures/server.ts';

async function sh(s: TestServer, command: string, timeout_s = 60): Promise<string> {
  const r = await s.call('shell_exec', { command, timeout_s });
  return `${String(r.structured?.stdout ?? '')}${String(r.structured?.stderr ?? '')}` || r.text;
}

function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

describe('attacks on the egress host socket', function () {
  this.timeout(300_000);
  let root: string;
  let a: NetnsHost;
  let s: TestServer;
  let dir: string;
  let socketName: string;

  before(async function () {
    root = mkdtempSync(join(tmpdir(), 'suna-egress-sock-'));
    writeFileSync(join(root, 'index.html'), 'hello from the netns host');
    a = await createNetnsHost(2, root);
    s = await startServer({ args: ['--egress', 'allowlist', '--egress-allow', a.cidr] });
    await sh(s, 'true');
    for (let i = 0; i < 50 && !/connections over the host socket/.test((await s.ok('sandbox_status')).text); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match((await s.ok('sandbox_status')).text, /connections over the host socket/, 'the engine is local here: the relay uses the host socket');
    dir = hostSocketDir(`suna-${s.sandboxName}`);
    const sockets = readdirSync(dir).filter((n) => n.endsWith('.sock'));
    assert.equal(sockets.length, 1);
    socketName = sockets[0]!;
  });
  after(async () => {
    await s?.close();
    a?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('the mounted directory is read-only and cannot be listed, for the agent and for root in the sandbox', async () => {
    const agent = await sh(s, `touch ${HOST_SOCKET_MOUNT}/x; mkdir ${HOST_SOCKET_MOUNT}/d; ln -s /etc ${HOST_SOCKET_MOUNT}/l; rm -f ${HOST_SOCKET_MOUNT}/${socketName}; ls ${HOST_SOCKET_MOUNT}; echo end`);
    assert.equal(agent.match(/Read-only file system/g)?.length, 4, agent);
    assert.match(agent, /ls: cannot open directory .*Permission denied/);
    const exec = await new Docker().getContainer(`suna-${s.sandboxName}`).exec({ Cmd: ['sh', '-c', `touch ${HOST_SOCKET_MOUNT}/x 2>&1; rm -f ${HOST_SOCKET_MOUNT}/${socketName} 2>&1; true`], User: '0:0', AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({});
    const out = await new Promise<string>((r) => {
      let text = '';
      stream.on('data', (d: Buffer) => (text += d.toString()));
      stream.on('end', () => r(text));
    });
    assert.equal(out.match(/Read-only file system/g)?.length, 2, out);
    assert.deepEqual(readdirSync(dir), [socketName], 'nothing was added or removed on the host');
  });

  it('without the relay\'s token no connection is served, and the token is not in the relay\'s argv', async () => {
    const probe = `
import socket, sys
def attempt(payload):
    c = socket.socket(socket.AF_UNIX)
    c.settimeout(8)
    c.connect("${HOST_SOCKET_MOUNT}/${socketName}")
    c.sendall(payload)
    try:
        got = c.recv(4096)
    except Exception as e:
        got = repr(e).encode()
    c.close()
    return got
req = b'{"host":"${a.address}","port":8080}\\n'
for hello in [b"", b"egress " + b"0" * 48 + b"\\n", b"egress\\n", b"tunnel " + b"a" * 48 + b"\\n", b"GET / HTTP/1.1\\r\\n\\r\\n"]:
    print(repr(attempt(hello + req + b"GET / HTTP/1.0\\r\\n\\r\\n")))
`;
    const out = await sh(s, `python3 -c '${probe.replace(/'/g, `'\\''`)}'; tr '\\0' ' ' < /proc/$(pgrep -f '[s]una-egress-relay' | head -1)/cmdline; echo; cat /proc/$(pgrep -f '[s]una-egress-relay' | head -1)/environ 2>&1 | head -c 200`);
    assert.deepEqual(out.split('\n').slice(0, 5), ["b''", "b''", "b''", "b''", "b''"], out);
    assert.doesNotMatch(out, /[0-9a-f]{48}/, 'no token in what the agent can read');
    assert.match(out, /environ: Permission denied/);
    assert.deepEqual(a.requests(), [], 'nothing reached the destination');
  });

  it('oversized first lines are dropped at the bound: the host does not buffer them', async () => {
    const { pid } = s.transport;
    const before = rssKiB(pid!);
    const flood = `
import socket, threading
closed = []
def flood():
    c = socket.socket(socket.AF_UNIX)
    c.connect("${HOST_SOCKET_MOUNT}/${socketName}")
    sent = 0
    try:
        while sent < 8 * 1024 * 1024:
            sent += c.send(b"x" * 65536)
    except Exception:
        closed.append(sent)
    c.close()
ts = [threading.Thread(target=flood) for _ in range(16)]
[t.start() for t in ts]
[t.join() for t in ts]
print("closed", len(closed), "max sent", max(closed or [0]))
`;
    const out = await sh(s, `python3 -c '${flood.replace(/'/g, `'\\''`)}'`);
    assert.match(out, /closed 16 /, out);
    assert.ok(Number(/max sent (\d+)/.exec(out)![1]) < 8 * 1024 * 1024, out);
    const grew = rssKiB(pid!) - before;
    assert.ok(grew < 32 * 1024, `server RSS grew by ${grew} KiB after 128 MiB of oversized hellos`);
  });

  it('holding bare connections to the socket does not cut the sandbox off: at most 32 are kept, the relay is still served', async () => {
    const hold = `
import socket, time
held = []
for _ in range(300):
    c = socket.socket(socket.AF_UNIX)
    c.connect("${HOST_SOCKET_MOUNT}/${socketName}")
    held.append(c)
time.sleep(0.5)
dropped = 0
for c in held:
    c.setblocking(False)
    try:
        if c.recv(1) == b"":
            dropped += 1
    except BlockingIOError:
        pass
    except Exception:
        dropped += 1
print("dropped", dropped, flush=True)
time.sleep(3)
`;
    const out = await sh(s, `python3 -c '${hold.replace(/'/g, `'\\''`)}' & sleep 1.5; curl -sS -m 10 http://${a.address}:8080/index.html; echo; wait`);
    const dropped = Number(/dropped (\d+)/.exec(out)?.[1]);
    assert.ok(dropped >= 300 - 32, out);
    assert.match(out, /hello from the netns host/, out);
  });
});
