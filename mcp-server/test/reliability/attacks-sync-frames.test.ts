// Binary frames on the daemon channel (the sync's archives travel raw, not as base64 in JSON): a second connection
// to the sandbox's daemon, made with the same launch line (it bridges to the one daemon), is fed forged, oversized
// and truncated frames. What must hold: a claim over the limit is refused before anything is buffered (that
// connection is dropped: the stream cannot be trusted past it), a frame cut short or claiming more than was sent extracts nothing, a
// forged header loses only its own frame, and the sandbox's own daemon keeps serving throughout.
// And the editor → server side channel (workspace_sync_channel: raw archives over loopback HTTP): nothing without
// the token, a declared length over the cap refused before reading, a body cut short or a bad entry writes nothing;
// connections are bounded, yet idle ones (a dropped client's keep-alive pool) and bodies held back while others are
// unpacked do not lock an upload out.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { PassThrough, type Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SANDBOX_CONFIG, daemonExec } from '@suna/sandbox';
import { packTar } from '@suna/shared/sync/tar';
import { binaryFrame } from '../../../sandbox/daemon/framing.ts';
import { startServer, type TestServer } from '../fixtures/server.ts';
import { docker, sleep, waitFor } from './helpers.ts';

const BUNDLE = readFileSync(fileURLToPath(new URL('../../../sandbox/dist/daemon.cjs', import.meta.url)), 'utf8');

/** A second daemon in the sandbox container, spoken to byte by byte. */
async function rawDaemon(container: string) {
  const { program, ...launch } = daemonExec(DEFAULT_SANDBOX_CONFIG, BUNDLE, [], []);
  const exec = await docker.getContainer(container).exec({ ...launch, AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false });
  const stream = (await exec.start({ hijack: true, stdin: true })) as Duplex;
  if (program) stream.write(program); // the launch script reads the program from stdin first
  const stdout = new PassThrough();
  docker.modem.demuxStream(stream, stdout, new PassThrough());
  const answers: Array<{ id: number; ok: boolean; result?: unknown; error?: { code: string } }> = [];
  let buf = '';
  stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const msg = JSON.parse(line);
      if (typeof msg.id === 'number') answers.push(msg);
    }
  });
  const answer = async (id: number) => {
    await waitFor(`answer ${id}`, () => answers.some((a) => a.id === id), 30_000);
    return answers.find((a) => a.id === id)!;
  };
  const exited = async () => {
    await waitFor('the daemon to exit', async () => !(await exec.inspect()).Running, 30_000, 100);
    return (await exec.inspect()).ExitCode;
  };
  stream.write(JSON.stringify({ id: 1, op: 'hello', args: {} }) + '\n');
  await answer(1);
  return { write: (b: Uint8Array | string) => stream.write(b), end: () => stream.end(), answer, answers, exited };
}

const extractFrame = (id: number, tar: Buffer) => Buffer.concat(binaryFrame(JSON.stringify({ id, op: 'extract', args: { root: '/workspace', folders: ['frames'] } }), tar));

describe('reliability: binary frames on the daemon channel (sync archives)', function () {
  this.timeout(300_000);
  let s: TestServer;
  const container = () => `suna-${s.sandboxName}`;
  const sh = async (command: string) => String((await s.ok('shell_exec', { command })).structured?.stdout ?? '');
  const landed = async () => (await sh('ls -A /workspace/frames 2>/dev/null | sort | tr "\\n" " "')).trim();

  before(async () => {
    s = await startServer();
    await s.ok('shell_exec', { command: 'true' });
  });
  after(async () => s?.close());
  beforeEach(async () => void (await sh('rm -rf /workspace/frames')));

  it('a well-formed frame is extracted and answered (the control case)', async () => {
    const d = await rawDaemon(container());
    d.write(extractFrame(2, packTar([{ path: 'frames/ok.txt', data: Buffer.from('fine') }])));
    assert.deepEqual((await d.answer(2)).result, { exitCode: 0, stderr: '' });
    assert.equal(await sh('cat /workspace/frames/ok.txt'), 'fine');
    d.end();
  });

  it('a frame cut short (the host died mid-send) extracts nothing', async () => {
    const d = await rawDaemon(container());
    const whole = extractFrame(2, packTar([{ path: 'frames/cut.txt', data: Buffer.alloc(200_000, 0x61) }, { path: 'frames/late.txt', data: Buffer.from('x') }]));
    d.write(whole.subarray(0, whole.length - 1024));
    await sleep(500);
    d.end();
    assert.equal(await d.exited(), 0);
    assert.equal(await landed(), '', 'not a byte of a truncated archive was extracted');
  });

  it('a frame claiming more bytes than were sent swallows what follows as payload and extracts nothing', async () => {
    const d = await rawDaemon(container());
    const tar = packTar([{ path: 'frames/claimed.txt', data: Buffer.from('x') }]);
    const header = Buffer.from(JSON.stringify({ id: 2, op: 'extract', args: { root: '/workspace', folders: ['frames'] } }));
    const prefix = Buffer.alloc(9);
    prefix.writeUInt32BE(header.length, 1);
    prefix.writeUInt32BE(tar.length + 4096, 5);
    d.write(Buffer.concat([prefix, header, tar]));
    // A request hidden in the remainder is payload, not a request: never run, never answered.
    d.write(Buffer.from(JSON.stringify({ id: 3, op: 'exec', args: { command: 'touch /workspace/frames/RAN', cwd: '/workspace' } }) + '\n'));
    await sleep(1000);
    assert.deepEqual(d.answers.map((a) => a.id), [1]);
    d.end();
    assert.equal(await d.exited(), 0);
    assert.equal(await landed(), '');
  });

  it('a claim over the payload limit (4 GB) drops that connection at once, before anything is buffered', async () => {
    const d = await rawDaemon(container());
    const prefix = Buffer.alloc(9);
    prefix.writeUInt32BE(2, 1);
    prefix.writeUInt32BE(0xffffffff, 5);
    d.write(Buffer.concat([prefix, Buffer.from('{}'), Buffer.alloc(64 * 1024, 0x61)]));
    await d.exited(); // a protocol violation: the daemon hangs up on this connection (its bridge then ends)
    assert.equal(await landed(), '');
    assert.equal((await s.ok('shell_exec', { command: 'echo still' })).structured?.stdout, 'still\n', 'the other connections are served');
  });

  it('a forged header (not JSON, no id, an unknown op, extract without a payload) loses only its own frame', async () => {
    const d = await rawDaemon(container());
    const tar = packTar([{ path: 'frames/forged.txt', data: Buffer.from('x') }]);
    d.write(Buffer.concat(binaryFrame('{"id":2,"op":"extract","args":', tar)));
    d.write(Buffer.concat(binaryFrame(JSON.stringify({ op: 'extract', args: { root: '/workspace', folders: [] } }), tar)));
    d.write(Buffer.concat(binaryFrame(JSON.stringify({ id: 3, op: 'nope', args: {} }), tar)));
    d.write(JSON.stringify({ id: 4, op: 'extract', args: { root: '/workspace', folders: [], data: tar.toString('base64') } }) + '\n');
    d.write(JSON.stringify({ id: 5, op: 'stat', args: { path: '/workspace' } }) + '\n');
    assert.equal((await d.answer(3)).error?.code, 'BAD_REQUEST');
    assert.equal((await d.answer(4)).error?.code, 'BAD_REQUEST', 'the tar only ever travels as a binary frame');
    assert.equal((await d.answer(5)).ok, true, 'still in step after the forged frames');
    assert.deepEqual(d.answers.map((a) => a.id).sort(), [1, 3, 4, 5]);
    assert.equal(await landed(), '');
    d.end();
    // The sandbox's own daemon never noticed.
    assert.equal((await s.ok('shell_exec', { command: 'echo still' })).structured?.stdout, 'still\n');
  });
});

/** A raw POST: `send` bytes of a body that declares `declared` bytes, then end (or destroy when cut short). */
function post(url: string, headers: Record<string, string>, body: Buffer, declared = body.length): Promise<{ status: number; body: string } | 'cut'> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': String(declared) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', () => resolve('cut'));
    req.write(body);
    if (declared === body.length) req.end();
    else setTimeout(() => (req.destroy(), resolve('cut')), 500);
  });
}

describe('reliability: the sync upload channel (raw archives over loopback)', function () {
  this.timeout(300_000);
  let s: TestServer;
  let url: string;
  let auth: Record<string, string>;
  const sh = async (command: string) => String((await s.ok('shell_exec', { command })).structured?.stdout ?? '');
  const landed = async () => (await sh('ls -A /workspace/up 2>/dev/null | sort | tr "\\n" " "')).trim();
  const tar = (name: string) => packTar([{ path: `up/${name}`, data: Buffer.from(name) }, ...Array.from({ length: 20 }, (_, i) => ({ path: `up/more/${name}-${i}`, data: Buffer.from('x') }))]);

  before(async () => {
    s = await startServer({ args: ['--sync-tools'] });
    const r = await s.ok('workspace_sync_channel', {});
    url = String(r.structured?.url);
    auth = { authorization: `Bearer ${String(r.structured?.token)}` };
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/push$/);
    assert.doesNotMatch(String(r.text), /[0-9a-f]{64}/, 'the token is not in the text a model might see');
  });
  after(async () => s?.close());
  beforeEach(async () => void (await sh('rm -rf /workspace/up')));

  it('writes an archive sent with the token, as workspace_sync_push would', async () => {
    const r = await post(url, auth, tar('ok.txt'));
    assert.equal(r !== 'cut' && r.status, 200, JSON.stringify(r));
    assert.equal(await sh('cat /workspace/up/ok.txt'), 'ok.txt');
  });

  it('answers 401 without the token, with a wrong one, or one of another length, and writes nothing', async () => {
    const token = auth.authorization!.slice('Bearer '.length);
    for (const headers of [{} as Record<string, string>, { authorization: `Bearer ${'0'.repeat(64)}` }, { authorization: `Bearer ${token}x` }, { authorization: token }]) {
      const r = await post(url, headers, tar('no.txt'));
      assert.equal(r !== 'cut' && r.status, 401);
    }
    assert.equal(await landed(), '');
  });

  it('refuses a declared length over the archive cap before reading the body (413), and a body cut short writes nothing', async () => {
    const over = await post(url, auth, Buffer.alloc(1024), 200 * 1024 * 1024);
    assert.ok(over === 'cut' || over.status === 413, JSON.stringify(over));
    const whole = tar('cut.txt');
    assert.equal(await post(url, auth, whole.subarray(0, whole.length - 2048), whole.length), 'cut');
    await sleep(500);
    assert.equal(await landed(), '');
  });

  it('connections are bounded (idle ones included), yet idle connections and uploads waiting for their turn do not lock out a new upload', async () => {
    const { port } = new URL(url);
    const open = (n: number) => Promise.all(Array.from({ length: n }, () => new Promise<Socket>((resolve, reject) => connect(Number(port), '127.0.0.1', function (this: Socket) { resolve(this); }).on('error', reject))));
    // Idle keep-alive connections of a dropped pool (more than the archives held at once): a new upload still lands.
    const idle = await open(8);
    const r = await post(url, auth, tar('after-idle.txt'));
    assert.equal(r !== 'cut' && r.status, 200, JSON.stringify(r));
    // Six uploads at once, each holding its body back half way: the ones past the limit wait (body unread); then all land.
    const slow = Array.from({ length: 6 }, (_, i) => {
      const body = tar(`slow${i}.txt`);
      return new Promise<number>((resolve) => {
        const req = request(url, { method: 'POST', headers: { ...auth, 'content-length': String(body.length) } }, (res) => (res.resume(), res.on('end', () => resolve(res.statusCode!))));
        req.on('error', () => resolve(-1));
        req.write(body.subarray(0, 1024));
        setTimeout(() => req.end(body.subarray(1024)), 300);
      });
    });
    assert.deepEqual(await Promise.all(slow), [200, 200, 200, 200, 200, 200]);
    const names = await landed();
    for (const n of ['after-idle.txt', ...Array.from({ length: 6 }, (_, i) => `slow${i}.txt`)]) assert.ok(names.split(' ').includes(n), `${n} in ${names}`);
    // Past the connection bound a new connection is closed as it arrives; the server keeps no more than that open.
    const flood = await open(40);
    const closed = await Promise.all(flood.map((c) => new Promise<boolean>((resolve) => (c.once('close', () => resolve(true)), setTimeout(() => resolve(c.destroyed), 1000)))));
    assert.ok(closed.filter(Boolean).length >= 40 - 32, `${closed.filter(Boolean).length} of 40 closed`);
    for (const c of [...idle, ...flood]) c.destroy();
    await sleep(200);
    const again = await post(url, auth, tar('after-flood.txt'));
    assert.equal(again !== 'cut' && again.status, 200, JSON.stringify(again));
  });

  it('refuses an archive with a bad entry as a whole (400, saying what), writing nothing', async () => {
    const bad = packTar([{ path: 'up/fine.txt', data: Buffer.from('x') }, { path: '../escape.txt', data: Buffer.from('x') }]);
    const r = await post(url, auth, bad);
    assert.ok(r !== 'cut' && r.status === 400 && /refused, nothing was written/.test(r.body), JSON.stringify(r));
    assert.equal(await landed(), '');
  });
});
