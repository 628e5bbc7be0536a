// The stdio transport's writes under backpressure: many messages sent while the client is not reading share one
// wait for the pipe to drain (a listener each tripped Node's leak warning in the load test), and all go out in order.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { GuardedStdioTransport } from '../../src/stdio-transport.ts';

describe('GuardedStdioTransport.send', () => {
  it('shares one drain wait among messages sent while the pipe is full, and every message arrives in order', async () => {
    const lines: string[] = [];
    let release: (() => void) | null = null;
    const out = new Writable({
      highWaterMark: 16,
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString().trim());
        release = done; // held until the test lets the client "read"
      },
    });
    const transport = new GuardedStdioTransport(out);
    const sent = Array.from({ length: 50 }, (_, i) => transport.send({ jsonrpc: '2.0', method: 'notifications/message', params: { i } }));
    assert.equal(out.listenerCount('drain'), 1);
    let settled = false;
    void Promise.all(sent).then(() => (settled = true));
    for (let n = 0; n < 100 && !settled; n++) {
      const next = release as (() => void) | null;
      release = null;
      next?.();
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(settled, true, `${lines.length} lines written`);
    assert.deepEqual(lines.map((l) => (JSON.parse(l) as { params: { i: number } }).params.i), Array.from({ length: 50 }, (_, i) => i));
    assert.equal(out.listenerCount('drain'), 0);
  });
});
