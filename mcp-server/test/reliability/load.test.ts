// Load: 50 concurrent mixed tool calls on one sandbox (no result carries another call's data, server memory
// stays bounded), and 10 concurrent HTTP clients with their own sessions (one client's cancel or disconnect
// does not touch the others' calls).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startServer, type TestServer } from '../fixtures/server.ts';
import { memoryKb, sleep, startHttpServer, textOf, type HttpServer } from './helpers.ts';

const MARK = /MARK-\d+-[0-9a-f]{8}/g;
const markers = (text: string) => new Set(text.match(MARK) ?? []);

describe('reliability: load', function () {
  this.timeout(300_000);

  describe('50 concurrent calls on one sandbox (stdio)', () => {
    let s: TestServer;
    before(async () => {
      s = await startServer();
      await s.ok('shell_exec', { command: 'true' });
    });
    after(async () => s?.close());

    it('mixed shell_exec / file_write / file_read all succeed and each result holds exactly its own marker', async () => {
      const N = 50;
      const mark = (i: number) => `MARK-${i}-${randomBytes(4).toString('hex')}`;
      const marks = Array.from({ length: N }, (_, i) => mark(i));
      // The files that the file_read calls read are written first, one marker each.
      const readers = marks.map((_, i) => i).filter((i) => i % 3 === 2);
      for (const i of readers) await s.ok('file_write', { path: `load/r${i}.txt`, content: `${marks[i]}\n`.repeat(1000) });
      const hwm0 = memoryKb(s.transport.pid!).hwm;

      const t0 = Date.now();
      const results = await Promise.all(
        marks.map(async (m, i) => {
          switch (i % 3) {
            case 0: // ~14 KB of output on stdout (under the 30k result cap) and a line on stderr, so frames are big enough to interleave if they could
              return { i, r: await s.call('shell_exec', { command: `yes ${m} | head -n 800; echo ${m} >&2` }) };
            case 1:
              return { i, r: await s.call('file_write', { path: `load/w${i}.txt`, content: `${m}\n`.repeat(2000) }) };
            default:
              return { i, r: await s.call('file_read', { path: `load/r${i}.txt` }) };
          }
        }),
      );
      const ms = Date.now() - t0;
      for (const { i, r } of results) {
        assert.equal(r.isError, false, `call ${i}: ${r.text}`);
        const found = markers(r.text);
        if (i % 3 === 1) assert.equal(found.size, 0, `file_write ${i} echoed data: ${[...found]}`);
        else assert.deepEqual([...found], [marks[i]], `call ${i} carries ${[...found].join(', ')}`);
        if (i % 3 === 0) {
          assert.equal(r.structured?.stdout, `${marks[i]}\n`.repeat(800), `shell_exec ${i} stdout is not exactly its own`);
          assert.equal(r.structured?.stderr, `${marks[i]}\n`);
        }
        if (i % 3 === 2) assert.equal(r.text.split('\n').filter((l) => l === marks[i]).length, 1000, `file_read ${i} lost lines`);
      }
      // What the concurrent writes left on disk is exactly what each wrote.
      const check = await s.ok('shell_exec', {
        command: `for f in load/w*.txt; do printf '%s %s %s\\n' "$f" "$(sort -u "$f" | wc -l)" "$(head -n1 "$f")"; done`,
      });
      const lines = String(check.structured?.stdout).trim().split('\n');
      assert.equal(lines.length, marks.filter((_, i) => i % 3 === 1).length);
      for (const line of lines) {
        const [file, distinct, first] = line.split(' ');
        const i = Number(/w(\d+)\.txt/.exec(file!)![1]);
        assert.equal(distinct, '1', `${file} mixes contents`);
        assert.equal(first, marks[i], `${file} holds another call's data`);
      }
      const mem = memoryKb(s.transport.pid!);
      assert.ok(mem.hwm < 400 * 1024, `server peak RSS ${mem.hwm} kB (before the burst: ${hwm0} kB)`);
      console.log(`      50 calls in ${ms} ms; server peak RSS ${Math.round(hwm0 / 1024)} → ${Math.round(mem.hwm / 1024)} MiB`);
    });
  });

  describe('1,000 concurrent calls on one sandbox (stdio)', () => {
    it('all succeed with their own results, and server memory stays bounded', async () => {
      const s = await startServer();
      try {
        for (let f = 0; f < 10; f++) await s.ok('file_write', { path: `many/${f}.txt`, content: `file-${f}\n` });
        const tag = randomBytes(3).toString('hex');
        const t0 = Date.now();
        const results = await Promise.all(
          Array.from({ length: 1000 }, (_, i) =>
            i % 2 ? s.call('shell_exec', { command: `echo c${i}-${tag}` }) : s.call('file_read', { path: `many/${i % 10}.txt` }),
          ),
        );
        const ms = Date.now() - t0;
        results.forEach((r, i) => {
          assert.equal(r.isError, false, `call ${i}: ${r.text}`);
          if (i % 2) assert.equal(r.structured?.stdout, `c${i}-${tag}\n`, `call ${i}`);
          else assert.match(r.text, new RegExp(`^file-${i % 10}$`, 'm'), `call ${i}`);
        });
        const mem = memoryKb(s.transport.pid!);
        assert.ok(mem.hwm < 500 * 1024, `server peak RSS ${mem.hwm} kB`);
        console.log(`      1000 calls in ${ms} ms; server peak RSS ${Math.round(mem.hwm / 1024)} MiB`);
      } finally {
        await s.close();
      }
    });
  });

  describe('10 concurrent HTTP clients, one session each', () => {
    let srv: HttpServer;
    const clients: Client[] = [];
    before(async () => {
      // Above the default cap of concurrent calls per sandbox (8), so all ten run at once.
      srv = await startHttpServer({ SUNA_MAX_CONCURRENT_CALLS: '16' });
      for (let i = 0; i < 10; i++) clients.push(await srv.client(`client-${i}`));
      await clients[0]!.callTool({ name: 'shell_exec', arguments: { command: 'true' } });
    });
    after(async () => {
      for (const c of clients) await c.close().catch(() => {});
      await srv?.stop();
    });

    it('each client gets only its own results; one client cancelling and another disconnecting leave the rest untouched', async () => {
      const ids = clients.map((c) => (c as unknown as { _transport: { sessionId?: string } })._transport.sessionId);
      assert.equal(new Set(ids).size, 10, 'sessions are not distinct');
      const tag = randomBytes(3).toString('hex');
      const abort = new AbortController();
      const calls = clients.map((c, i) =>
        c
          .callTool(
            { name: 'shell_exec', arguments: { command: `echo $$ > /tmp/http-${tag}-${i}.pid; sleep 4; echo done-${i}-${tag}`, timeout_s: 60 } },
            undefined,
            { signal: i === 0 ? abort.signal : undefined, timeout: 60_000 },
          )
          .then((r) => ({ ok: true as const, r: r as CallToolResult }), (e: Error) => ({ ok: false as const, e })),
      );
      await sleep(1500);
      abort.abort(); // client 0 cancels its call
      await clients[1]!.close(); // client 1 drops its session with a call in flight
      const out = await Promise.all(calls);
      assert.equal(out[0]!.ok, false, 'the cancelled call returned a result');
      for (let i = 2; i < 10; i++) {
        const o = out[i]!;
        assert.ok(o.ok, `client ${i} failed: ${!o.ok && o.e.message}`);
        assert.equal((o.r.structuredContent as { stdout: string }).stdout, `done-${i}-${tag}\n`, `client ${i}: ${textOf(o.r)}`);
      }
      // Client 0's command was killed in the sandbox, promptly; the others ran to the end.
      const check = await clients[2]!.callTool({
        name: 'shell_exec',
        arguments: { command: `for i in $(seq 0 9); do kill -0 $(cat /tmp/http-${tag}-$i.pid) 2>/dev/null && echo "$i alive" || echo "$i gone"; done` },
      });
      const states = (check.structuredContent as { stdout: string }).stdout;
      assert.match(states, /^0 gone$/m);
      for (let i = 2; i < 10; i++) assert.match(states, new RegExp(`^${i} gone$`, 'm'));
      // The server still serves every remaining session, and new ones.
      for (const i of [0, 2, 9]) {
        const r = (await clients[i]!.callTool({ name: 'shell_exec', arguments: { command: `echo again-${i}` } })) as CallToolResult;
        assert.equal((r.structuredContent as { stdout: string }).stdout, `again-${i}\n`);
      }
      const fresh = await srv.client('late');
      clients.push(fresh);
      assert.ok((await fresh.listTools()).tools.length > 5);
    });
  });
});
