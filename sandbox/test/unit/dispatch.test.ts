// Request dispatch in the daemon: answers by id, refusals carry the handler's code, and malformed requests
// (a bad id, unknown or inherited op names, non-object args) never reach a handler; a request without an id
// is a notification, never answered.
import assert from 'node:assert/strict';
import { Dispatcher, type Handlers } from '../../daemon/dispatch.ts';
import { DaemonError } from '../../daemon/errors.ts';

const settle = () => new Promise((r) => setImmediate(r));

function dispatcher() {
  const sent: Record<string, unknown>[] = [];
  const calls: unknown[] = [];
  const handlers = {
    list: (a: unknown) => (calls.push(a), []),
    stat: () => {
      throw new DaemonError('ENOENT', 'no such file');
    },
  } as unknown as Handlers;
  return { d: new Dispatcher(handlers, (m) => sent.push(m as Record<string, unknown>)), sent, calls };
}

describe('Dispatcher', () => {
  it('answers a request by its id with the handler result', async () => {
    const { d, sent, calls } = dispatcher();
    d.line('{"id":7,"op":"list","args":{}}');
    await settle();
    assert.deepEqual(sent, [{ id: 7, ok: true, result: [] }]);
    assert.deepEqual(calls, [{}]);
  });

  it("passes a handler's refusal code and message", async () => {
    const { d, sent } = dispatcher();
    d.line('{"id":1,"op":"stat","args":{"path":"/workspace/x"}}');
    await settle();
    assert.deepEqual(sent, [{ id: 1, ok: false, error: { code: 'ENOENT', message: 'no such file' } }]);
  });

  it('refuses unknown and inherited op names and non-object args with BAD_REQUEST', async () => {
    const { d, sent, calls } = dispatcher();
    for (const op of ['nope', '__proto__', 'constructor', 'toString', 'hasOwnProperty']) d.line(JSON.stringify({ id: 2, op, args: {} }));
    d.line('{"id":3,"op":"list","args":[1]}');
    d.line('{"id":4,"op":"list","args":"x"}');
    await settle();
    assert.equal(sent.length, 7);
    for (const m of sent) assert.equal((m.error as { code: string }).code, 'BAD_REQUEST');
    assert.deepEqual(calls, []);
  });

  it('drops lines that are not JSON or carry an id that is not a safe integer', async () => {
    const { d, sent, calls } = dispatcher();
    for (const line of ['not json', '{"id":"1","op":"list"}', 'null', '[]', '{"id":1.5,"op":"list"}']) d.line(line);
    await settle();
    assert.deepEqual(sent, []);
    assert.deepEqual(calls, []);
  });

  it('a request without an id is a notification only for the ops that are one: handled, never answered', async () => {
    const calls: unknown[] = [];
    const sent: unknown[] = [];
    const record = (a: unknown) => (calls.push(a), { ok: true });
    const handlers = { tunnelAck: record, list: record, cancel: () => Promise.reject(new DaemonError('ENOENT', 'no such exec')) } as unknown as Handlers;
    const d = new Dispatcher(handlers, (m) => void sent.push(m));
    d.line('{"op":"tunnelAck","args":{"tunnelId":"t1","bytes":1}}');
    d.line('{"op":"cancel","args":{"execId":"x1"}}'); // refused: dropped, no answer
    d.line('{"op":"list","args":{}}'); // not a notification op: not run without an id
    d.line('{"op":"nope","args":{}}');
    await settle();
    assert.deepEqual(calls, [{ tunnelId: 't1', bytes: 1 }]);
    assert.deepEqual(sent, []);
  });

  it("a binary frame is a request like a line, its raw payload beside the arguments; lines carry none", async () => {
    const payloads: unknown[] = [];
    const d = new Dispatcher({ list: (_a: unknown, p?: Buffer) => (payloads.push(p?.toString()), []) } as unknown as Handlers, () => {});
    d.frame(Buffer.from('{"id":1,"op":"list","args":{}}'), Buffer.from('raw\nbytes'));
    d.frame(Buffer.from('{"id":2,"op":'), Buffer.from('dropped with its malformed header'));
    d.line('{"id":3,"op":"list","args":{}}');
    await settle();
    assert.deepEqual(payloads, ['raw\nbytes', undefined]);
  });
});
