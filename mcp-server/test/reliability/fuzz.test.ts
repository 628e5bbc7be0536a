// Protocol fuzzing on both transports: malformed JSON, invalid UTF-8, unknown fields, wrong types, a 2 MB
// argument, 10k-deep nesting, batches. Every answer is a spec-shaped JSON-RPC error (or an isError tool result
// for tool-level validation), the server never crashes, a later valid call works, and on stdio nothing but
// JSON-RPC frames reaches stdout.
import assert from 'node:assert/strict';
import { rawHttp, rpcMessages, sleep, spawnRawStdio, startHttpServer, type HttpServer, type RawStdio } from './helpers.ts';

const deepArray = (n: number) => '['.repeat(n) + ']'.repeat(n);
const deepObject = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
const call = (id: number, name: string, args: unknown) => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });
const withBadUtf8 = (id: number) =>
  Buffer.concat([Buffer.from(`{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"shell_exec","arguments":{"command":"echo A`), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('B"}}}')]);

/** Standard JSON-RPC codes, and the implementation-defined server range. */
const specCode = (code: unknown) => typeof code === 'number' && ([-32700, -32600, -32601, -32602, -32603].includes(code) || (code <= -32000 && code >= -32099));

function assertFrame(line: string): Record<string, any> {
  let m: Record<string, any>;
  try {
    m = JSON.parse(line);
  } catch {
    throw new Error(`a stdout line is not JSON: ${line.slice(0, 200)}`);
  }
  assert.equal(m.jsonrpc, '2.0', `not a JSON-RPC frame: ${line.slice(0, 200)}`);
  if ('error' in m) assert.ok(specCode(m.error?.code) && typeof m.error.message === 'string', `bad error object: ${line.slice(0, 200)}`);
  return m;
}

/** Requests with a usable id, and what a correct answer looks like. */
const idCases: { name: string; id: number; body: string | Buffer; expect: 'result' | 'toolError' | 'rpcError' | 'resultOrError' }[] = [
  { name: 'invalid UTF-8 inside a string', id: 2, body: withBadUtf8(2), expect: 'result' },
  { name: 'an unknown argument', id: 3, body: call(3, 'shell_exec', { command: 'echo hi', bogus: true }), expect: 'resultOrError' },
  { name: 'a number where a string belongs', id: 4, body: call(4, 'shell_exec', { command: 123 }), expect: 'toolError' },
  { name: 'arguments as an array', id: 5, body: call(5, 'shell_exec', ['echo', 'x']), expect: 'toolError' },
  { name: 'a 2 MB command (over its 100k limit)', id: 6, body: call(6, 'shell_exec', { command: 'x'.repeat(2 * 1024 * 1024) }), expect: 'toolError' },
  { name: 'a 2 MB file_write', id: 7, body: call(7, 'file_write', { path: 'fuzz/big.txt', content: 'y'.repeat(2 * 1024 * 1024) }), expect: 'result' },
  { name: '10k-deep arrays in an argument', id: 8, body: `{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"shell_exec","arguments":{"command":"echo x","env":${deepArray(10_000)}}}}`, expect: 'toolError' },
  { name: '10k-deep objects in an unknown argument', id: 9, body: `{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"shell_exec","arguments":{"command":"echo x","zzz":${deepObject(10_000)}}}}`, expect: 'resultOrError' },
  { name: '10k-deep params of ping', id: 10, body: `{"jsonrpc":"2.0","id":10,"method":"ping","params":{"x":${deepArray(10_000)}}}`, expect: 'result' },
  { name: 'an unknown method', id: 11, body: '{"jsonrpc":"2.0","id":11,"method":"nope/nope"}', expect: 'rpcError' },
  { name: 'an unknown tool', id: 12, body: call(12, 'no_such_tool', {}), expect: 'toolError' },
  { name: 'a path with a NUL byte', id: 13, body: call(13, 'file_read', { path: 'a\u0000b' }), expect: 'toolError' },
  { name: 'tools/list with an unknown param', id: 14, body: '{"jsonrpc":"2.0","id":14,"method":"tools/list","params":{"cursor":null,"x":[1,2,3]}}', expect: 'resultOrError' },
];

/** Lines that carry no usable id: unparseable or not a JSON-RPC message at all. */
const noIdCases: { name: string; body: string | Buffer }[] = [
  { name: 'truncated JSON', body: '{"jsonrpc": "2.0", "id": 1, "method": ' },
  { name: 'invalid UTF-8 outside strings', body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) },
  { name: 'null', body: 'null' },
  { name: 'a number', body: '42' },
  { name: 'a string', body: '"tools/list"' },
  { name: 'an object id', body: '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}' },
  { name: 'a numeric method', body: '{"jsonrpc":"2.0","id":90,"method":5}' },
  { name: 'string params', body: '{"jsonrpc":"2.0","id":91,"method":"tools/call","params":"str"}' },
  { name: 'no jsonrpc member', body: '{"id":92,"method":"ping"}' },
  { name: 'an unknown top-level member', body: '{"jsonrpc":"2.0","id":93,"method":"ping","bogus":1}' },
  { name: 'an empty batch', body: '[]' },
  { name: 'a batch', body: '[{"jsonrpc":"2.0","id":94,"method":"ping"},{"jsonrpc":"2.0","id":95,"method":"tools/list"}]' },
  { name: 'a batch of 1000', body: JSON.stringify(Array.from({ length: 1000 }, (_, i) => ({ jsonrpc: '2.0', id: 2000 + i, method: 'ping' }))) },
  { name: '10k-deep array as the message', body: deepArray(10_000) },
];

function checkAnswer(name: string, expect: string, m: Record<string, any>): void {
  if (expect === 'result') assert.ok('result' in m && !m.result.isError, `${name}: ${JSON.stringify(m).slice(0, 300)}`);
  if (expect === 'toolError') assert.ok(('result' in m && m.result.isError === true) || ('error' in m && specCode(m.error.code)), `${name}: ${JSON.stringify(m).slice(0, 300)}`);
  if (expect === 'rpcError') assert.ok('error' in m && specCode(m.error.code), `${name}: ${JSON.stringify(m).slice(0, 300)}`);
  if (expect === 'resultOrError') assert.ok('result' in m || ('error' in m && specCode(m.error.code)), `${name}: ${JSON.stringify(m).slice(0, 300)}`);
}

describe('reliability: protocol fuzzing', function () {
  this.timeout(180_000);

  describe('stdio (raw lines)', () => {
    let s: RawStdio;
    before(async () => {
      s = spawnRawStdio({ SUNA_LOG_LEVEL: 'debug' });
      await s.initialize();
    });
    after(async () => {
      if (s.proc.exitCode === null) await s.exit();
    });

    for (const c of idCases)
      it(`${c.name} → ${c.expect}`, async () => {
        s.send(c.body);
        checkAnswer(c.name, c.expect, await s.response(c.id, 30_000));
      });

    it('unparseable and non-JSON-RPC lines (and batches) crash nothing; a call after them works', async () => {
      const before = s.lines.length;
      for (const c of noIdCases) s.send(c.body);
      s.send('');
      s.send('   ');
      s.send(call(500, 'shell_exec', { command: 'echo still-alive' }));
      const ok = await s.response(500);
      assert.equal(ok.result.structuredContent.stdout, 'still-alive\n');
      assert.equal(s.proc.exitCode, null);
      // Whatever came back for them is a spec-shaped error.
      for (const line of s.lines.slice(before)) {
        const m = assertFrame(line);
        if ('method' in m) continue; // a notification of ours (resource list_changed after a call), not an answer
        if (m.id !== 500) assert.ok('error' in m || (m.id >= 94 && m.id < 3000), `unexpected answer ${line.slice(0, 200)}`);
      }
    });

    it('an unparseable line is answered with -32700 and id null (JSON-RPC 2.0 §5.1)', async () => {
      const before = s.lines.length;
      s.send('{"jsonrpc": "2.0", "id": 1, "method": ');
      s.send(call(501, 'shell_exec', { command: 'true' }));
      await s.response(501);
      await sleep(100);
      // Answers only: a notification (the resource list_changed a shell_exec sends afterwards) is not one.
      const answers = s.lines.slice(before).map((l) => JSON.parse(l)).filter((m) => m.id !== 501 && !('method' in m));
      // The SDK's stdio transport would drop it without a word; the guard (stdio-guard.ts) answers it.
      assert.equal(answers.length, 1, JSON.stringify(answers));
      assert.equal(answers[0].error.code, -32700);
      assert.equal(answers[0].id, null);
    });

    it('stdout carried nothing but JSON-RPC frames, and the logs went to stderr', async () => {
      assert.ok(s.lines.length > idCases.length);
      for (const line of s.lines) assertFrame(line);
      assert.match(s.stderr(), /"level":"(debug|info)"/);
    });
  });

  describe('Streamable HTTP (raw POSTs)', () => {
    let srv: HttpServer;
    let headers: Record<string, string>;
    const post = (body: string | Buffer) => rawHttp(srv.url, { headers, body });
    before(async () => {
      srv = await startHttpServer({ SUNA_LOG_LEVEL: 'debug' });
      const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${srv.token}` };
      const init = await rawHttp(srv.url, {
        headers: base,
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } } }),
      });
      assert.equal(init.status, 200);
      headers = { ...base, 'mcp-session-id': String(init.headers['mcp-session-id']), 'mcp-protocol-version': '2025-06-18' };
      assert.equal((await post('{"jsonrpc":"2.0","method":"notifications/initialized"}')).status, 202);
    });
    after(async () => srv?.stop());

    for (const c of idCases)
      it(`${c.name} → ${c.expect}`, async () => {
        const r = await post(c.body);
        assert.ok(r.status === 200, `status ${r.status}: ${r.body.slice(0, 300)}`);
        const msgs = rpcMessages(r);
        const m = msgs.find((x) => x.id === c.id);
        assert.ok(m, `no answer with id ${c.id}: ${r.body.slice(0, 300)}`);
        checkAnswer(c.name, c.expect, m);
      });

    for (const c of noIdCases)
      it(`${c.name} → a JSON-RPC error or a spec-allowed answer, never a 5xx`, async () => {
        const r = await post(c.body);
        assert.ok(r.status < 500, `status ${r.status}: ${r.body.slice(0, 300)}`);
        const msgs = rpcMessages(r);
        if (c.name === 'a batch') {
          assert.deepEqual(msgs.map((m) => m.id).sort(), [94, 95]);
          return;
        }
        if (r.status === 202) return assert.equal(msgs.length, 0); // nothing to answer (an empty batch)
        assert.equal(r.status, 400, r.body.slice(0, 300));
        assert.equal(msgs.length, 1);
        assert.equal(msgs[0].jsonrpc, '2.0');
        assert.ok([-32700, -32600].includes(msgs[0].error.code), JSON.stringify(msgs[0]));
        assert.equal(msgs[0].id, null);
      });

    it('the server survived all of it: a real SDK client in a new session and the old session both work', async () => {
      const r = await post(call(600, 'shell_exec', { command: 'echo http-alive' }));
      assert.equal(rpcMessages(r).find((m) => m.id === 600)?.result.structuredContent.stdout, 'http-alive\n');
      const client = await srv.client();
      const t = await client.callTool({ name: 'shell_exec', arguments: { command: 'echo fresh' } });
      assert.equal((t.structuredContent as { stdout: string }).stdout, 'fresh\n');
      await client.close();
      assert.equal(srv.proc.exitCode, null);
      assert.doesNotMatch(srv.stderr(), /uncaught|unhandled|RangeError|Maximum call stack/i);
    });
  });
});
