// The daemon's operations on their own, outside a container: file operations confined to a workspace folder
// (FileOps), commands and their process groups (Commands), background processes (ProcessTable) and tunnels
// (Tunnels, to a loopback server this test starts). The identity runs commands as the test's own user.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandLine, type Identity } from '../../daemon/confinement.ts';
import { DaemonError } from '../../daemon/errors.ts';
import { Commands } from '../../daemon/exec.ts';
import { FileOps } from '../../daemon/files.ts';
import { groupAlive } from '../../daemon/groups.ts';
import { ProcessTable } from '../../daemon/processes.ts';
import type { DaemonEvent } from '../../daemon/protocol.ts';
import { DiskQuota } from '../../daemon/quota.ts';
import { Tunnels } from '../../daemon/tunnels.ts';
import { TUNNEL_MAX_CHUNK_BYTES, TUNNEL_RECEIVE_LIMIT_BYTES, TUNNEL_WINDOW_BYTES } from '../../daemon/tunnel-flow.ts';
import { Workspace } from '../../daemon/workspace.ts';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const text = (s: string) => Buffer.from(s, 'base64').toString('utf8');
/** A refusal with `code`: a DaemonError, or the errno error the dispatcher passes on with its code. */
const refusedWith = (code: string) => (e: unknown) => (e instanceof DaemonError || e instanceof Error) && (e as { code?: string }).code === code;

/** Commands run as this test's user, through the daemon's own launch line (cd, then exec). */
const identity: Identity = {
  user: null,
  userEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir() },
  fs: (fn) => fn(),
  spawn: async (file, args, opts) => {
    const [cmd, argv] = commandLine(null, file, args, opts.cwd);
    return spawn(cmd, argv, { cwd: '/', env: opts.env, detached: true, stdio: opts.stdio });
  },
};

/** Alive and not a zombie waiting for its (reparented) parent to reap it. */
function runningProcess(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('daemon operations (outside a container)', () => {
  let base: string;
  let root: string;
  let files: FileOps;
  let commands: Commands;
  before(() => {
    base = realpathSync(mkdtempSync(join(tmpdir(), 'suna-daemon-ops-')));
    root = join(base, 'workspace');
    mkdirSync(root);
    writeFileSync(join(base, 'secret.txt'), 'host secret');
    const workspace = new Workspace(root, root, realpath);
    const quota = new DiskQuota({ quotaBytes: 0, dirs: [root], spawnDu: () => Promise.reject(new Error('no du')), report() {} });
    files = new FileOps(identity, workspace, quota);
    commands = new Commands(identity, workspace);
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  describe('FileOps', () => {
    it('writes, reads, stats, lists, moves and removes inside the workspace', async () => {
      assert.deepEqual(await files.write({ path: join(root, 'src/a.txt'), data: b64('hello\n'), mkdirs: true }), { bytes: 6, created: true });
      assert.deepEqual(await files.write({ path: join(root, 'src/a.txt'), data: b64('hello again\n') }), { bytes: 12, created: false });
      const r = await files.read({ path: join(root, 'src/a.txt'), maxBytes: 5 });
      assert.deepEqual({ data: text(r.data), size: r.size, truncated: r.truncated }, { data: 'hello', size: 12, truncated: true });
      assert.equal((await files.stat({ path: join(root, 'src') }))?.type, 'dir');
      assert.equal(await files.stat({ path: join(root, 'nope') }), null);
      const listed = await files.listdir({ path: root, depth: 3, maxEntries: 100, respectIgnore: true });
      assert.deepEqual(listed.entries.map((e) => `${e.type}:${e.path}`).sort(), ['dir:src', 'file:src/a.txt']);
      await files.move({ from: join(root, 'src/a.txt'), to: join(root, 'b.txt') });
      assert.equal(readFileSync(join(root, 'b.txt'), 'utf8'), 'hello again\n');
      await files.remove({ path: join(root, 'b.txt') });
      assert.equal(existsSync(join(root, 'b.txt')), false);
    });

    it('refuses what would leave the workspace or clobber a file, and changes nothing', async () => {
      symlinkSync(join(base, 'secret.txt'), join(root, 'link-out'));
      await assert.rejects(files.read({ path: join(root, 'link-out'), maxBytes: 100 }), refusedWith('OUTSIDE_WORKSPACE'));
      // A write to the link's name replaces the link (temp file + rename), never the file it points to.
      await files.write({ path: join(root, 'link-out'), data: b64('pwned') }).catch(() => {});
      await assert.rejects(files.read({ path: join(base, 'secret.txt'), maxBytes: 100 }), refusedWith('OUTSIDE_WORKSPACE'));
      assert.equal(readFileSync(join(base, 'secret.txt'), 'utf8'), 'host secret');
      writeFileSync(join(root, 'kept.txt'), 'kept');
      await assert.rejects(files.write({ path: join(root, 'kept.txt'), data: b64('new'), exclusive: true }), refusedWith('EEXIST'));
      await assert.rejects(files.read({ path: join(root, 'missing.txt'), maxBytes: 1 }), refusedWith('ENOENT'));
      assert.equal(readFileSync(join(root, 'kept.txt'), 'utf8'), 'kept');
      // A symlink is removed, never followed.
      await files.remove({ path: join(root, 'link-out') });
      assert.equal(readFileSync(join(base, 'secret.txt'), 'utf8'), 'host secret');
    });

    it('listdir honours .gitignore and never lists .git/', async () => {
      mkdirSync(join(root, 'ig/.git'), { recursive: true });
      writeFileSync(join(root, 'ig/.gitignore'), 'build/\n*.log\n');
      mkdirSync(join(root, 'ig/build'));
      writeFileSync(join(root, 'ig/build/out.js'), '');
      writeFileSync(join(root, 'ig/debug.log'), '');
      writeFileSync(join(root, 'ig/main.py'), '');
      const r = await files.listdir({ path: join(root, 'ig'), depth: 3, maxEntries: 100, respectIgnore: true });
      assert.deepEqual(r.entries.map((e) => e.path).sort(), ['.gitignore', 'main.py']);
    });
  });

  describe('Commands', () => {
    it('runs a command in the confined working directory with its exit code and both streams', async () => {
      mkdirSync(join(root, 'cwd'), { recursive: true });
      const r = await commands.exec({ execId: 'e1', command: 'pwd; echo oops >&2; exit 3', cwd: join(root, 'cwd'), timeoutMs: 10_000, capBytes: 4096 });
      assert.equal(r.exitCode, 3);
      assert.equal(text(r.stdout.head).trim(), join(root, 'cwd'));
      assert.equal(text(r.stderr.head), 'oops\n');
      assert.equal(r.timedOut, false);
    });

    it('refuses a working directory outside the workspace before starting anything', async () => {
      await assert.rejects(commands.exec({ execId: 'e2', command: 'touch escaped', cwd: base, timeoutMs: 5000, capBytes: 1024 }), refusedWith('OUTSIDE_WORKSPACE'));
      assert.equal(existsSync(join(base, 'escaped')), false);
    });

    it('a timeout kills the whole process group, children that ignore SIGTERM included', async () => {
      const r = await commands.exec({ execId: 'e3', command: "bash -c 'trap \"\" TERM; sleep 30' & echo $!; wait", cwd: root, timeoutMs: 300, capBytes: 4096 });
      assert.equal(r.timedOut, true);
      const child = Number(text(r.stdout.head).trim());
      assert.ok(child > 0);
      // SIGKILL is sent, not waited for: give the kernel a moment (bounded) before looking.
      for (let i = 0; i < 40 && runningProcess(child); i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(runningProcess(child), false, 'the child is gone too');
    });

    it('cancel stops a running command by its id', async () => {
      const running = commands.exec({ execId: 'e4', command: 'sleep 30', cwd: root, timeoutMs: 60_000, capBytes: 1024 });
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(commands.cancel('e4'), { found: true });
      const r = await running;
      assert.equal(r.cancelled, true);
      assert.deepEqual(commands.cancel('e4'), { found: false });
    });
  });

  describe('ProcessTable', () => {
    it('starts a background process, reads its output by offset (waiting for more), feeds it input and kills its group', async () => {
      const table = new ProcessTable(commands);
      const p = await table.start({ command: 'echo ready; while read l; do echo "got $l"; done', cwd: root, name: 'echoer' });
      assert.equal(p.running, true);
      const first = await table.output({ processId: p.processId, offset: 0, waitMs: 5000, maxBytes: 1000 });
      assert.equal(text(first.data), 'ready\n');
      assert.deepEqual(table.input({ processId: p.processId, data: b64('x\n') }), { written: 2 });
      const second = await table.output({ processId: p.processId, offset: first.nextOffset, waitMs: 5000, maxBytes: 1000 });
      assert.equal(text(second.data), 'got x\n');
      assert.deepEqual(table.list().map((i) => i.name), ['echoer']);
      table.kill({ processId: p.processId, signal: 'SIGKILL' });
      const end = await table.output({ processId: p.processId, offset: second.nextOffset, waitMs: 5000, maxBytes: 1000 });
      assert.equal(end.running, false);
      assert.equal(groupAlive(p.pid), false);
      assert.throws(() => table.input({ processId: 'p999', data: b64('x') }), refusedWith('NO_PROCESS'));
    });
  });

  describe('Tunnels', () => {
    it('carries bytes both ways to a loopback port and reports the close; a closed port is refused', async () => {
      const server = net.createServer((s) => s.on('data', (d) => s.end(`echo:${d}`)));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as net.AddressInfo).port;
      const events: DaemonEvent[] = [];
      const closed = new Promise<void>((resolve) => {
        const tunnels = new Tunnels((ev) => {
          events.push(ev);
          if (ev.ev === 'tunnelClosed') resolve();
        });
        void tunnels.open({ tunnelId: 't1', port }).then(() => tunnels.write({ tunnelId: 't1' }, Buffer.from('hi')));
      });
      await closed;
      const data = events.flatMap((e) => (e.ev === 'tunnelData' ? [e.data.toString()] : [])).join('');
      assert.equal(data, 'echo:hi');
      await new Promise<void>((r) => server.close(() => r()));
      await assert.rejects(new Tunnels(() => {}).open({ tunnelId: 't2', port }), refusedWith('ECONNREFUSED'));
    });

    it('a sandbox side that floods stops being read at the window until the host acknowledges; frames stay chunk-sized', async () => {
      const flood = Buffer.alloc(8 * TUNNEL_WINDOW_BYTES, 0x61);
      const server = net.createServer((s) => s.end(flood));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      let received = 0;
      let biggest = 0;
      const tunnels = new Tunnels((ev) => {
        if (ev.ev === 'tunnelData') (received += ev.data.length), (biggest = Math.max(biggest, ev.data.length));
      });
      try {
        await tunnels.open({ tunnelId: 't1', port: (server.address() as net.AddressInfo).port });
        await new Promise((r) => setTimeout(r, 300));
        assert.ok(received >= TUNNEL_WINDOW_BYTES && received < TUNNEL_WINDOW_BYTES + TUNNEL_MAX_CHUNK_BYTES * 2, `read ${received} bytes without an ack`);
        tunnels.ack({ tunnelId: 't1', bytes: received });
        await new Promise((r) => setTimeout(r, 300));
        assert.ok(received >= 2 * TUNNEL_WINDOW_BYTES && received < 3 * TUNNEL_WINDOW_BYTES, `read ${received} bytes after one window's ack`);
        for (let i = 0; i < 40 && received < flood.length; i++) {
          tunnels.ack({ tunnelId: 't1', bytes: TUNNEL_WINDOW_BYTES });
          await new Promise((r) => setTimeout(r, 20));
        }
        assert.equal(received, flood.length);
        assert.ok(biggest <= TUNNEL_MAX_CHUNK_BYTES);
      } finally {
        tunnels.close({ tunnelId: 't1' });
        await new Promise<void>((r) => server.close(() => r()));
      }
    });

    it('a tunnelClose lets what the host sent reach a reader that reads only later, then ends it (nothing cut off)', async () => {
      let reader = null as net.Socket | null;
      let got = 0;
      let ended!: Promise<void>;
      const server = net.createServer((s) => {
        reader = s.pause(); // reads nothing until the host closed the tunnel
        s.on('data', (d: Buffer) => void (got += d.length));
        ended = new Promise<void>((resolve) => s.once('end', () => resolve()));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      let acked = 0;
      const tunnels = new Tunnels((ev) => void (ev.ev === 'tunnelAck' && (acked += ev.bytes)));
      try {
        await tunnels.open({ tunnelId: 't1', port: (server.address() as net.AddressInfo).port });
        // Write like a host under credit: up to the window past what was acknowledged, until the kernel's buffers are
        // full and the rest waits in the daemon (no ack for 200 ms).
        const chunk = Buffer.alloc(TUNNEL_MAX_CHUNK_BYTES, 0x62);
        let sent = 0;
        for (let quiet = 0; quiet < 4 && sent < 256 * 1024 * 1024; ) {
          if (sent - acked + chunk.length <= TUNNEL_WINDOW_BYTES) {
            tunnels.write({ tunnelId: 't1' }, chunk);
            sent += chunk.length;
            quiet = 0;
          } else {
            const before = acked;
            await new Promise((r) => setTimeout(r, 50));
            quiet = acked === before ? quiet + 1 : 0;
          }
        }
        assert.ok(sent > acked, 'some bytes wait in the daemon when the host closes');
        tunnels.close({ tunnelId: 't1' });
        reader!.resume();
        await ended;
        assert.equal(got, sent, 'every byte the host sent arrived before the end');
      } finally {
        reader?.destroy();
        await new Promise<void>((r) => server.close(() => r()));
      }
    });

    it('a host that writes past its window loses the tunnel; junk acks change nothing', async () => {
      const held: net.Socket[] = [];
      const server = net.createServer((s) => void held.push(s.pause())); // never reads: what it holds is never acknowledged
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const events: DaemonEvent[] = [];
      const tunnels = new Tunnels((ev) => void events.push(ev));
      try {
        await tunnels.open({ tunnelId: 't1', port: (server.address() as net.AddressInfo).port });
        for (const bytes of [-1, 1.5, Number.NaN, 'x', 2 ** 60]) tunnels.ack({ tunnelId: 't1', bytes: bytes as number });
        const chunk = Buffer.alloc(TUNNEL_MAX_CHUNK_BYTES);
        let refused: unknown;
        let accepted = 0;
        for (let i = 0; i < 400 && !refused; i++) {
          try {
            tunnels.write({ tunnelId: 't1' }, chunk);
            accepted += chunk.length;
          } catch (e) {
            refused = e;
          }
        }
        // The kernel takes what fits in its socket buffers (acknowledged: handed on); past that, one window.
        const acked = events.reduce((n, e) => n + (e.ev === 'tunnelAck' ? e.bytes : 0), 0);
        assert.ok(accepted - acked <= TUNNEL_RECEIVE_LIMIT_BYTES, `${accepted - acked} bytes held unacknowledged`);
        assert.match(String((refused as Error)?.message), /past its tunnel window/);
        await new Promise((r) => setTimeout(r, 100));
        assert.ok(events.some((e) => e.ev === 'tunnelClosed'), 'the tunnel is closed');
        assert.throws(() => tunnels.write({ tunnelId: 't1' }, chunk), refusedWith('ENOENT'));
      } finally {
        for (const s of held) s.destroy();
        await new Promise<void>((r) => server.close(() => r()));
      }
    });
  });
});
