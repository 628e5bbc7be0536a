// The daemon's connections (one per server replica): ids made per connection, events back to the connection
// that asked, a hostile connection dropped alone, and the socket's directory refused unless it is root's own.
import assert from 'node:assert/strict';
import { chownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connections, MAX_CONNECTIONS, MAX_UNREAD_BYTES, type Link } from '../../daemon/connections.ts';
import type { Handlers } from '../../daemon/dispatch.ts';
import { MAX_REQUEST_LINE_BYTES } from '../../daemon/dispatch.ts';
import type { DaemonEvent } from '../../daemon/protocol.ts';
import { listenShared } from '../../daemon/shared-socket.ts';

class MemoryLink implements Link {
  lines: Record<string, unknown>[] = [];
  closed = false;
  unreadBytes = 0;
  private data?: (c: Buffer) => void;
  private end?: () => void;
  onData(fn: (c: Buffer) => void) {
    this.data = fn;
  }
  onEnd(fn: () => void) {
    this.end = fn;
  }
  write(text: string) {
    for (const l of text.split('\n').filter(Boolean)) this.lines.push(JSON.parse(l));
  }
  unread() {
    return this.unreadBytes;
  }
  close() {
    this.closed = true;
  }
  send(msg: unknown) {
    this.data!(Buffer.from(JSON.stringify(msg) + '\n'));
  }
  hangUp() {
    this.end!();
  }
}

const tick = () => new Promise((r) => setTimeout(r, 10));

/** Handlers that record what reached them; exec answers with an event first, then its result. */
function recordingHandlers(emit: (ev: DaemonEvent) => void) {
  const seen: { op: string; args: Record<string, unknown> }[] = [];
  const release: (() => void)[] = [];
  const record = (op: string) => (a: Record<string, unknown>) => (seen.push({ op, args: a }), { ok: true });
  const handlers = {
    exec: async (a: { execId: string }) => {
      seen.push({ op: 'exec', args: a });
      emit({ ev: 'execOutput', execId: a.execId, data: Buffer.from(`out of ${a.execId}`).toString('base64') });
      await new Promise<void>((r) => release.push(r));
      return { exitCode: 0, execId: a.execId };
    },
    cancel: record('cancel'),
    codeRun: record('codeRun'),
    codeCancel: record('codeCancel'),
    tunnelOpen: record('tunnelOpen'),
    tunnelWrite: record('tunnelWrite'),
    tunnelClose: record('tunnelClose'),
    list: () => [{ processId: 'p1' }],
  } as unknown as Handlers;
  return { handlers, seen, release };
}

describe('daemon connections (one per replica)', () => {
  it('two connections that use the same exec id each get their own answer and their own output events', async () => {
    let conns!: Connections;
    const { handlers, seen, release } = recordingHandlers((ev) => conns.emit(ev));
    conns = new Connections(handlers, () => {});
    const [a, b] = [new MemoryLink(), new MemoryLink()];
    conns.attach(a);
    conns.attach(b);
    a.send({ id: 1, op: 'exec', args: { execId: 'x1' } });
    b.send({ id: 1, op: 'exec', args: { execId: 'x1' } });
    await tick();
    assert.deepEqual(seen.map((s) => s.args.execId), ['1:x1', '2:x1'], 'the daemon sees two different ids');
    for (const r of release) r();
    await tick();
    for (const link of [a, b]) {
      const events = link.lines.filter((l) => l.ev === 'execOutput');
      assert.equal(events.length, 1, JSON.stringify(link.lines));
      assert.equal(events[0]!.execId, 'x1', 'the id comes back as the host wrote it');
      assert.equal(link.lines.filter((l) => l.id === 1 && l.ok === true).length, 1);
    }
    assert.match(Buffer.from(String(a.lines.find((l) => l.ev)!.data), 'base64').toString(), /1:x1/);
    assert.match(Buffer.from(String(b.lines.find((l) => l.ev)!.data), 'base64').toString(), /2:x1/);
  });

  it('a quota event reaches every connection; an event of a connection that is gone reaches none', async () => {
    const conns = new Connections(recordingHandlers(() => {}).handlers, () => {});
    const [a, b] = [new MemoryLink(), new MemoryLink()];
    conns.attach(a);
    conns.attach(b);
    conns.emit({ ev: 'quota', usedBytes: 1, quotaBytes: 2, stopped: [] } as DaemonEvent);
    assert.equal(a.lines.length + b.lines.length, 2);
    b.hangUp();
    conns.emit({ ev: 'tunnelData', tunnelId: '2:t1', data: Buffer.alloc(0) });
    conns.emit({ ev: 'tunnelData', tunnelId: 'not-scoped', data: Buffer.alloc(0) });
    assert.equal(a.lines.length, 1);
  });

  it('a connection that hangs up takes its commands, code runs and tunnels along, not the daemon; the last one ends it', async () => {
    let idle = 0;
    const { handlers, seen } = recordingHandlers(() => {});
    const conns = new Connections(handlers, () => idle++);
    const [a, b] = [new MemoryLink(), new MemoryLink()];
    conns.attach(a);
    conns.attach(b);
    b.send({ id: 1, op: 'exec', args: { execId: 'x9' } });
    b.send({ id: 2, op: 'tunnelOpen', args: { tunnelId: 't1', port: 80 } });
    await tick();
    b.hangUp();
    await tick();
    assert.deepEqual(seen.filter((s) => s.op === 'cancel').map((s) => s.args.execId), ['2:x9']);
    assert.deepEqual(seen.filter((s) => s.op === 'tunnelClose').map((s) => s.args.tunnelId), ['2:t1']);
    assert.equal(idle, 0, 'A still holds the daemon');
    a.send({ id: 5, op: 'list', args: {} });
    await tick();
    assert.deepEqual(a.lines.at(-1), { id: 5, ok: true, result: [{ processId: 'p1' }] });
    a.hangUp();
    assert.equal(idle, 1);
  });

  it('a hostile connection (an endless line, garbage, foreign ids) is dropped alone; the other keeps being served', async () => {
    let idle = 0;
    const { handlers, seen } = recordingHandlers(() => {});
    const conns = new Connections(handlers, () => idle++);
    const [good, evil] = [new MemoryLink(), new MemoryLink()];
    conns.attach(good);
    conns.attach(evil);
    evil.send('not a request');
    evil.send({ id: 'x', op: 'list' });
    evil.send({ id: 3, op: 'cancel', args: { execId: '1:x1' } }); // another connection's id, spelled out
    await tick();
    assert.equal(evil.closed, false, 'garbage is ignored, not fatal');
    assert.deepEqual(seen.filter((x) => x.op === 'cancel').map((x) => x.args.execId), ['2:1:x1'], 'it can only name its own');
    const mib = Buffer.alloc(1024 * 1024, 0x61);
    for (let i = 0; i <= MAX_REQUEST_LINE_BYTES / mib.length && !evil.closed; i++) (evil as unknown as { data: (c: Buffer) => void }).data(mib);
    assert.equal(evil.closed, true, 'a line over the limit drops the connection');
    good.send({ id: 1, op: 'list', args: {} });
    await tick();
    assert.deepEqual(good.lines.at(-1), { id: 1, ok: true, result: [{ processId: 'p1' }] });
    assert.equal(idle, 0);
  });

  it('a reader that does not read is dropped, and connections beyond the cap are refused', async () => {
    const conns = new Connections(recordingHandlers(() => {}).handlers, () => {});
    const slow = new MemoryLink();
    conns.attach(slow);
    slow.unreadBytes = MAX_UNREAD_BYTES + 1;
    slow.send({ id: 1, op: 'list', args: {} });
    await tick();
    assert.equal(slow.closed, true);
    const links = Array.from({ length: MAX_CONNECTIONS + 1 }, () => new MemoryLink());
    const accepted = links.map((l) => conns.attach(l));
    assert.equal(accepted.filter(Boolean).length, MAX_CONNECTIONS);
    assert.equal(links.at(-1)!.closed, true);
  });
});

describe("the daemon's socket", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'suna-sock-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('listens in a 0700 directory (a stale socket replaced), serving lines over it', async () => {
    const path = join(dir, 'd', 'daemon.sock');
    mkdirSync(join(dir, 'd'), { mode: 0o755 });
    const stale = net.createServer().listen(path);
    await new Promise((r) => stale.once('listening', r));
    stale.close();
    const conns = new Connections(recordingHandlers(() => {}).handlers, () => {});
    const server = await listenShared(path, (link) => conns.attach(link));
    try {
      assert.equal(statSync(join(dir, 'd')).mode & 0o777, 0o700);
      assert.equal(statSync(path).mode & 0o777, 0o600);
      const sock = net.connect(path);
      const answer = await new Promise<string>((resolve) => {
        sock.on('data', (d) => resolve(d.toString()));
        sock.write(JSON.stringify({ id: 7, op: 'list', args: {} }) + '\n');
      });
      sock.destroy();
      assert.deepEqual(JSON.parse(answer), { id: 7, ok: true, result: [{ processId: 'p1' }] });
    } finally {
      server.close();
    }
  });

  it("refuses a directory that is a symlink or not root's", async function () {
    if (process.getuid?.() !== 0) this.skip(); // ownership checks need root, as in the container
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    await assert.rejects(listenShared(join(dir, 'link', 'daemon.sock'), () => {}), /not a directory of root's/);
    mkdirSync(join(dir, 'user'));
    chownSync(join(dir, 'user'), 1000, 1000);
    await assert.rejects(listenShared(join(dir, 'user', 'daemon.sock'), () => {}), /not a directory of root's/);
  });
});
