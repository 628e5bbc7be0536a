// The stdio guard bounds every line: an oversized one is discarded and answered (with its id), a broken one
// is answered -32700, and the lines after them still reach the SDK's transport.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { jsonRpcGuard, requestIdOf } from '../../src/stdio-guard.ts';
import { GuardedStdioTransport } from '../../src/stdio-transport.ts';

const LIMIT = 64 * 1024;

function harness() {
  const input = new PassThrough();
  const output = new PassThrough();
  const answers: any[] = [];
  const forwarded: string[] = [];
  let outBuf = '';
  output.on('data', (d: Buffer) => {
    outBuf += d.toString();
    let i: number;
    while ((i = outBuf.indexOf('\n')) >= 0) {
      answers.push(JSON.parse(outBuf.slice(0, i)));
      outBuf = outBuf.slice(i + 1);
    }
  });
  let fwBuf = '';
  const lines = jsonRpcGuard(input, output, { maxLineBytes: LIMIT, oversizeAdvice: 'Write it in parts.' });
  lines.on('data', (d: Buffer) => {
    fwBuf += d.toString();
    let i: number;
    while ((i = fwBuf.indexOf('\n')) >= 0) {
      forwarded.push(fwBuf.slice(0, i));
      fwBuf = fwBuf.slice(i + 1);
    }
  });
  const settle = () => new Promise((r) => setImmediate(r));
  return { input, answers, forwarded, settle };
}

const ping = (id: number) => JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' });
const bigCall = (id: number | string, bytes: number) =>
  JSON.stringify({ method: 'tools/call', params: { name: 'file_write', arguments: { path: 'a', content: 'x'.repeat(bytes) } }, jsonrpc: '2.0', id });

describe('stdio guard', () => {
  it('forwards valid lines split across chunks, and skips blank ones', async () => {
    const h = harness();
    const line = ping(1);
    h.input.write(line.slice(0, 5));
    h.input.write(line.slice(5) + '\n\n  \n' + ping(2) + '\n');
    await h.settle();
    assert.deepEqual(h.forwarded, [ping(1), ping(2)]);
    assert.equal(h.answers.length, 0);
  });

  it('discards a line over the limit, answers it with its id, the limit and the advice, and forwards the next line', async () => {
    const h = harness();
    const big = bigCall(41, LIMIT * 3);
    for (let i = 0; i < big.length; i += 10_000) h.input.write(big.slice(i, i + 10_000)); // arrives in pieces, no newline yet
    await h.settle();
    assert.equal(h.answers.length, 0, 'nothing is answered before the line ends');
    h.input.write('\n' + ping(42) + '\n');
    await h.settle();
    assert.equal(h.answers.length, 1);
    assert.equal(h.answers[0].id, 41);
    assert.equal(h.answers[0].error.code, -32600);
    assert.match(h.answers[0].error.message, /over this server's limit of 65,536 bytes.*--max-body-bytes.*Write it in parts/);
    assert.deepEqual(h.forwarded, [ping(42)]);
  });

  it('finds the id of an oversized line when it comes first, and answers null when there is none', async () => {
    const h = harness();
    h.input.write(`{"jsonrpc":"2.0","id":"abc","method":"tools/call","params":{"x":"${'y'.repeat(LIMIT)}"}}\n`);
    h.input.write(`"${'z'.repeat(LIMIT * 2)}\n`);
    await h.settle();
    assert.deepEqual(h.answers.map((a) => a.id), ['abc', null]);
  });

  it('does not take a nested "id" or one inside a string for the request id', () => {
    assert.equal(requestIdOf('{"method":"x"', '"arguments":{"id":7}}}'), null);
    assert.equal(requestIdOf('{"method":"x"', 'content":"\\"id\\":9}'), null);
    assert.equal(requestIdOf('{"method":"x"', ',"jsonrpc":"2.0","id":7}'), 7);
    assert.equal(requestIdOf('{"jsonrpc":"2.0","id":"q\\"1","method"', 'zzz'), 'q"1');
  });

  it('answers a truncated line with -32700 and id null, and a non-JSON-RPC one with -32600', async () => {
    const h = harness();
    h.input.write('{"jsonrpc": "2.0", "id": 1, "method": \n{"jsonrpc":"2.0","id":5,"method":7}\n' + ping(3) + '\n');
    await h.settle();
    assert.deepEqual(h.answers.map((a) => [a.error.code, a.id]), [[-32700, null], [-32600, 5]]);
    assert.deepEqual(h.forwarded, [ping(3)]);
  });

  it('keeps at most the limit of a line in memory however long it grows', async () => {
    const h = harness();
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 200; i++) h.input.write(chunk); // 200 MB without a newline
    await h.settle();
    const grew = process.memoryUsage().arrayBuffers - before;
    h.input.write('\n' + ping(9) + '\n');
    await h.settle();
    assert.ok(grew < 32 * 1024 * 1024, `buffers grew by ${grew} bytes`);
    assert.equal(h.answers.length, 1);
    assert.match(h.answers[0].error.message, /209,715,200 bytes/);
    assert.deepEqual(h.forwarded, [ping(9)]);
  });
});

describe('GuardedStdioTransport', () => {
  it('gets each valid message parsed once by the guard (none forwarded as text), holding early ones until start', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const transport = new GuardedStdioTransport(output);
    const forwarded: unknown[] = [];
    const lines = jsonRpcGuard(input, output, { maxLineBytes: LIMIT, oversizeAdvice: '', deliver: (m) => transport.receive(m) });
    lines.on('data', (d: Buffer) => forwarded.push(d.toString()));
    const got: unknown[] = [];
    transport.onmessage = (m) => got.push(m);
    input.write(ping(1) + '\nnot json\n');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(got, [], 'nothing before start');
    await transport.start();
    input.write(ping(2) + '\n');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(got, [JSON.parse(ping(1)), JSON.parse(ping(2))]);
    assert.deepEqual(forwarded, []);
    const written: string[] = [];
    output.on('data', (d: Buffer) => written.push(d.toString()));
    await transport.send({ jsonrpc: '2.0', id: 2, result: {} });
    await transport.close();
    input.write(ping(3) + '\n');
    await new Promise((r) => setImmediate(r));
    assert.equal(got.length, 2, 'nothing after close');
    assert.ok(written.join('').endsWith('{"jsonrpc":"2.0","id":2,"result":{}}\n'));
  });
});
