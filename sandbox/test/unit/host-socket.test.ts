// The host socket against a hostile peer: a connection is served only after a hello naming a registered service
// and a token handed out for that service; an oversized, slow or wrong hello is dropped without an answer and
// without the host holding more than the hello bound; connections are bounded; close removes the socket file.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureHostSocketDir, HELLO_MAX_BYTES, HOST_SOCKET_MOUNT, hostSocketDir, HostSocket, removeHostSocketDir } from '../../src/host-socket.ts';

/** Connect, send `bytes`, and resolve with what came back once the server closes (or null if still open after ms). */
function exchange(path: string, bytes: Buffer | string, waitMs = 2000): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = connect(path);
    let data = '';
    s.on('data', (d) => (data += d.toString()));
    s.on('error', () => {});
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ data, closed: false });
    }, waitMs);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ data, closed: true });
    });
    s.write(bytes);
  });
}

describe('host socket', () => {
  let root: string;
  let dir: string;
  let host: HostSocket;
  const served: Socket[] = [];

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'suna-hs-'));
    dir = hostSocketDir('suna-test-sandbox', join(root, 'base'));
    ensureHostSocketDir(dir);
    host = new HostSocket({ maxConnections: 4, maxPending: 6, helloTimeoutMs: 300 });
    host.registerService('echo', (s) => {
      served.push(s);
      s.resume();
      s.on('data', (d) => s.write(d));
      s.on('end', () => s.end());
    });
  });
  afterEach(() => {
    host.close();
    for (const s of served.splice(0)) s.destroy();
    rmSync(root, { recursive: true, force: true });
  });

  it('makes the base 0700 and the sandbox directory 0711, and refuses names that are not container names', () => {
    assert.equal(statSync(join(root, 'base')).mode & 0o777, 0o700);
    assert.equal(statSync(dir).mode & 0o777, 0o711);
    assert.throws(() => hostSocketDir('../etc', root), /not a container name/);
    assert.throws(() => hostSocketDir('a/b', root), /not a container name/);
  });

  it('refuses a base directory that is a symlink (planted in a shared tmp)', () => {
    mkdirSync(join(root, 'elsewhere'));
    symlinkSync(join(root, 'elsewhere'), join(root, 'planted'));
    assert.throws(() => ensureHostSocketDir(hostSocketDir('suna-x', join(root, 'planted'))), /not a directory/);
  });

  it('serves a peer with the right service and token, passing on bytes sent with the hello', async () => {
    await host.listen(dir);
    assert.ok(host.hostPath!.startsWith(dir + '/'));
    assert.equal(host.sandboxPath, `${HOST_SOCKET_MOUNT}/${host.hostPath!.slice(dir.length + 1)}`);
    assert.equal(statSync(host.hostPath!).mode & 0o777, 0o666);
    const token = host.issueToken('echo');
    const s = connect(host.hostPath!);
    const got = await new Promise<string>((resolve) => {
      let data = '';
      s.on('data', (d) => {
        data += d.toString();
        if (data.length >= 10) resolve(data);
      });
      s.write(`echo ${token}\nhello-rest`);
    });
    s.destroy();
    assert.equal(got, 'hello-rest');
  });

  it('drops a peer without a token, with a token of another service, a revoked token or garbage, and answers nothing', async () => {
    await host.listen(dir);
    host.registerService('other', () => assert.fail('never served'));
    const otherToken = host.issueToken('other');
    const revoked = host.issueToken('echo');
    host.revokeToken(revoked);
    for (const hello of ['echo\n', `echo ${otherToken}\n`, `echo ${revoked}\n`, `echo ${'0'.repeat(48)}\n`, `nope ${otherToken}\n`, '\x00\xff garbage\n', 'GET / HTTP/1.1\r\n\r\n']) {
      const r = await exchange(host.hostPath!, hello);
      assert.deepEqual(r, { data: '', closed: true }, JSON.stringify(hello));
    }
    assert.equal(host.refused.hello, 7);
  });

  it('drops an oversized first line at the bound, and a slow one at the deadline', async () => {
    await host.listen(dir);
    const token = host.issueToken('echo');
    // A valid hello, but past the bound (padding before it): never served.
    const long = await exchange(host.hostPath!, Buffer.concat([Buffer.alloc(HELLO_MAX_BYTES, 0x61), Buffer.from(`echo ${token}\n`)]));
    assert.deepEqual(long, { data: '', closed: true });
    // A peer streaming bytes without a newline: closed once it passes the bound, not buffered.
    const s = connect(host.hostPath!);
    s.on('error', () => {});
    const closed = new Promise((r) => s.on('close', r));
    for (let i = 0; i < 64 && !s.destroyed; i++) s.write(Buffer.alloc(1024, 0x62));
    await closed;
    // Half a hello, then silence: dropped after the deadline.
    const slow = await exchange(host.hostPath!, 'echo ', 3000);
    assert.deepEqual(slow, { data: '', closed: true });
    assert.equal(served.length, 0);
  });

  it('bounds the connections one sandbox can hold open', async () => {
    await host.listen(dir);
    const token = host.issueToken('echo');
    const sockets = Array.from({ length: 8 }, () => {
      const s = connect(host.hostPath!);
      s.on('error', () => {});
      s.write(`echo ${token}\n`);
      return s;
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(host.connectionCount, 4);
    assert.equal(host.refused.bound, 4);
    for (const s of sockets) s.destroy();
  });

  it('bare connections without a hello cannot shut a token holder out: the oldest is dropped, the holder is served', async () => {
    await host.listen(dir);
    const token = host.issueToken('echo');
    const bare = Array.from({ length: 20 }, () => connect(host.hostPath!).on('error', () => {}));
    await new Promise((r) => setTimeout(r, 150));
    assert.ok(host.connectionCount <= 6, `${host.connectionCount} bare connections held (bound 6)`);
    assert.equal(host.refused.pending, 14);
    const answer = await exchange(host.hostPath!, `echo ${token}\nping`, 500);
    assert.equal(answer.data, 'ping', 'the token holder is served while the bare connections keep the slots full');
    for (const s of bare) s.destroy();
  });

  it('close ends every connection and removes the socket file; the directory goes with the sandbox', async () => {
    await host.listen(dir);
    const token = host.issueToken('echo');
    const s = connect(host.hostPath!);
    s.write(`echo ${token}\n`);
    const closed = new Promise((r) => s.on('close', r));
    await new Promise((r) => setTimeout(r, 100));
    const file = host.hostPath!;
    host.close();
    await closed;
    assert.equal(existsSync(file), false);
    // Tokens handed out before are void after a new listen.
    await host.listen(dir);
    assert.deepEqual(await exchange(host.hostPath!, `echo ${token}\n`), { data: '', closed: true });
    host.close();
    removeHostSocketDir(dir);
    assert.equal(existsSync(dir), false);
  });
});
