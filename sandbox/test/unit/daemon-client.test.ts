// The host end of the daemon stream against a hostile daemon (a stand-in speaking the protocol): an answer
// that is malformed fails only its own request, an over-long line closes the connection as a protocol violation,
// and events the host does not know (free-text "log") are never passed on.
import assert from 'node:assert/strict';
import { Duplex, PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { binaryFrame, LineSplitter } from '../../daemon/framing.ts';
import { DAEMON_PROTOCOL_VERSION } from '../../daemon/protocol.ts';
import { TUNNEL_MAX_CHUNK_BYTES } from '../../daemon/tunnel-flow.ts';
import { DaemonGoneError, DaemonRequestError, SandboxDaemonClient } from '../../src/daemon-client.ts';

/** A fake daemon: `answer` decides what goes back for each request line. */
async function connectTo(answer: (req: { id: number; op: string; args: Record<string, unknown>; payload?: Buffer }, send: (line: string) => void, raw: (bytes: Uint8Array) => void) => void, version = DAEMON_PROTOCOL_VERSION) {
  const toDaemon = new PassThrough();
  const toHost = new PassThrough();
  const stream = Duplex.from({ readable: toHost, writable: toDaemon });
  const onRequest = (line: Buffer, payload?: Buffer) => {
    {
      const req = { ...JSON.parse(line.toString()), payload };
      if (req.op === 'hello') toHost.write(JSON.stringify({ id: req.id, ok: true, result: { version, pid: 1, uid: 1000, node: 'v22', workspace: '/workspace' } }) + '\n');
      else answer(req, (line) => toHost.write(line + '\n'), (bytes) => toHost.write(bytes));
    }
  };
  // Read as the daemon reads (framing.ts): lines and binary frames.
  const splitter = new LineSplitter(onRequest, () => 1 << 20, () => assert.fail('overflow'), { maxPayloadBytes: 1 << 20, onFrame: (h, p) => onRequest(h, p) });
  toDaemon.on('data', (d: Buffer) => splitter.push(d));
  const docker = { modem: { demuxStream: (s: Duplex, out: PassThrough) => s.pipe(out) } } as unknown as Docker;
  const container = { exec: async () => ({ start: async () => stream }) } as unknown as Docker.Container;
  return SandboxDaemonClient.connect(docker, container, { Cmd: ['x'], User: '0:0', Env: [], WorkingDir: '/' });
}

describe('SandboxDaemonClient against a hostile daemon', () => {
  it('a malformed answer fails that request clearly; the connection keeps serving', async () => {
    const client = await connectTo((req, send) => {
      if (req.args.path === '/workspace/bad') send(JSON.stringify({ id: req.id, ok: true, result: { data: 'A'.repeat(100), size: 'big', truncated: false } }));
      else send(JSON.stringify({ id: req.id, ok: true, result: { data: '', size: 0, truncated: false } }));
    });
    await assert.rejects(client.request('read', { path: '/workspace/bad', maxBytes: 10 }), (e: Error) => e instanceof DaemonGoneError && /malformed answer to "read"/.test(e.message));
    assert.deepEqual(await client.request('read', { path: '/workspace/ok', maxBytes: 10 }), { data: '', size: 0, truncated: false });
    assert.equal(client.isAlive, true);
    client.close();
  });

  it('a forged code interpreter result is blamed on the code that runs as the agent, not on the daemon', async () => {
    const client = await connectTo((req, send) => send(JSON.stringify({ id: req.id, ok: true, result: { status: 'ok', note: 'I am the server' } })));
    const run = client.request('codeRun', { runId: 'c1', code: '1', timeoutMs: 1000, capChars: 100, figureDir: '/workspace/.suna/figures' });
    await assert.rejects(run, (e: Error) => /^the code interpreter sent a malformed result/.test(e.message) && /code_reset/.test(e.message) && !/daemon/.test(e.message));
    assert.equal(client.isAlive, true);
    client.close();
  });

  it('a daemon of another protocol version (a server of another version shares the sandbox) is refused with what to do', async () => {
    await assert.rejects(connectTo(() => {}, DAEMON_PROTOCOL_VERSION - 1), (e: Error) => e instanceof DaemonGoneError && /speaks protocol \d+, this server \d+/.test(e.message) && /another suna-mcp version/.test(e.message));
  });

  it('a refusal reaches the caller as one clean line with an errno-like code', async () => {
    const client = await connectTo((req, send) => send(JSON.stringify({ id: req.id, ok: false, error: { code: 'ENOENT', message: 'gone\nNote: forged' } })));
    await assert.rejects(client.request('stat', { path: '/workspace/x' }), (e: Error) => e instanceof DaemonRequestError && e.code === 'ENOENT' && e.message === 'gone Note: forged');
    client.close();
  });

  it('a line longer than any pending request allows closes the connection as a protocol violation', async () => {
    const client = await connectTo((req, send) => send(JSON.stringify({ id: req.id, ok: true, result: { bytes: 1, created: true, pad: 'x'.repeat(2 * 1024 * 1024) } })));
    await assert.rejects(client.request('write', { path: '/workspace/x', data: '' }), /line or frame of more than \d+ bytes \(protocol violation\)/);
    assert.equal(client.isAlive, false);
  });

  it('unknown or malformed events are dropped; tunnel data passes only as a binary frame', async () => {
    const frame = (header: unknown, payload: string) => Buffer.concat(binaryFrame(JSON.stringify(header), Buffer.from(payload)));
    const client = await connectTo((req, send, raw) => {
      send(JSON.stringify({ ev: 'log', message: 'disk quota exceeded: forged' }));
      send(JSON.stringify({ ev: 'quota', usedBytes: -1, quotaBytes: 1, stopped: [] }));
      send(JSON.stringify({ ev: 'tunnelData', tunnelId: 't1', data: 'aGk=' })); // the old base64 line: no longer data
      raw(frame({ id: req.id, ok: true, result: [] }, 'a forged answer in a frame')); // frames never answer
      raw(frame({ ev: 'tunnelData', tunnelId: 't1' }, 'hi'));
      send('not json at all');
      send(JSON.stringify({ id: req.id, ok: true, result: [] }));
    });
    const events: unknown[] = [];
    client.on('event', (e) => events.push(e));
    await client.request('list', {});
    assert.deepEqual(events, [{ ev: 'tunnelData', tunnelId: 't1', data: Buffer.from('hi') }]);
    client.close();
  });

  it('a frame claiming more than one tunnel chunk is refused before it is buffered: the connection closes', async () => {
    const client = await connectTo((_req, _send, raw) => {
      const [prefix] = binaryFrame('{"ev":"tunnelData","tunnelId":"t1"}', Buffer.alloc(0));
      prefix.writeUInt32BE(TUNNEL_MAX_CHUNK_BYTES + 1, 5); // a forged payload length; only a few bytes follow
      raw(Buffer.concat([prefix, Buffer.from('short')]));
    });
    await assert.rejects(client.request('list', {}), /frame of more than \d+ bytes \(protocol violation\)/);
    assert.equal(client.isAlive, false);
  });

  it('a payload travels raw in one binary frame, between ordinary requests, and is answered like them', async () => {
    const seen: string[] = [];
    const client = await connectTo((req, send) => {
      seen.push(`${req.op}:${req.payload?.toString('latin1') ?? '-'}`);
      send(JSON.stringify({ id: req.id, ok: true, result: req.op === 'extract' ? { exitCode: 0, stderr: '' } : [] }));
    });
    const tar = Buffer.from('\0\n{"id":99,"op":"exec"}\n\xff', 'latin1');
    const [a, b, c] = await Promise.all([client.request('list', {}), client.request('extract', { root: '/workspace', folders: [] }, { payload: tar }), client.request('list', {})]);
    assert.deepEqual([a, b, c], [[], { exitCode: 0, stderr: '' }, []]);
    assert.deepEqual(seen, ['list:-', `extract:${tar.toString('latin1')}`, 'list:-']);
    client.close();
  });
});
