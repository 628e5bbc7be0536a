// The admission of a tunnel that requires a secret header (the browser's CDP tunnel, sandbox/src/tunnel.ts): what
// reaches the sandbox is the first request without the secret and without the headers `drop` names (CDP is offered
// no permessage-deflate), in the order sent, followed by the rest; a missing, wrong or doubled secret gets a 403
// and nothing is opened in the sandbox. The daemon here is a stand-in that records what the tunnel sends it.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { connect } from 'node:net';
import type { Sandbox } from '../../src/sandbox.ts';
import { forwardPort } from '../../src/tunnel.ts';

/** A daemon that opens every tunnel over the stream and keeps the bytes written to it. */
function recordingSandbox() {
  const sent: Buffer[] = [];
  const opened: unknown[] = [];
  const daemon = Object.assign(new EventEmitter(), {
    request: async (op: string, args: unknown) => (opened.push({ op, args }), { opened: true }),
    notify: (op: string, _args: unknown, payload?: Buffer) => (op === 'tunnelWrite' && payload && sent.push(Buffer.from(payload)), true),
    whenWritable: (fn: () => void) => fn(),
  });
  const sandbox = { ensure: async () => daemon, hostSocket: null } as unknown as Sandbox;
  return { sandbox, sent, opened };
}

/** Sends `text` and returns what the tunnel answered before it closed or went quiet. */
async function exchange(port: number, text: string): Promise<string> {
  const c = connect({ host: '127.0.0.1', port });
  const got: Buffer[] = [];
  c.on('data', (d: Buffer) => got.push(d));
  c.on('error', () => {});
  c.write(text);
  await new Promise<void>((resolve) => {
    const t = setTimeout(resolve, 400);
    c.once('close', () => (clearTimeout(t), resolve()));
  });
  c.destroy();
  return Buffer.concat(got).toString('latin1');
}

describe('tunnel admission (a required secret header)', () => {
  const required = { name: 'x-suna-cdp', value: 'secret-0123456789abcdef', drop: ['sec-websocket-extensions'] };

  it('forwards the first request without the secret and the dropped headers, then what follows, in order', async () => {
    const { sandbox, sent, opened } = recordingSandbox();
    const fwd = await forwardPort(sandbox, 9222, { requireHeader: required });
    try {
      const head = ['GET /devtools/browser/x HTTP/1.1', 'Host: 127.0.0.1', 'X-Suna-CDP: secret-0123456789abcdef', 'Upgrade: websocket', 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits', 'Sec-WebSocket-Key: abc=='];
      const answer = await exchange(fwd.port, `${head.join('\r\n')}\r\n\r\nafter-the-head`);
      assert.equal(answer, '', 'nothing answered by the host itself');
      assert.equal(opened.length, 1);
      assert.equal(Buffer.concat(sent).toString('latin1'), ['GET /devtools/browser/x HTTP/1.1', 'Host: 127.0.0.1', 'Upgrade: websocket', 'Sec-WebSocket-Key: abc=='].join('\r\n') + '\r\n\r\nafter-the-head');
    } finally {
      await fwd.close();
    }
  });

  it('a missing, wrong or doubled secret gets a 403 and nothing is opened in the sandbox', async () => {
    const { sandbox, sent, opened } = recordingSandbox();
    const fwd = await forwardPort(sandbox, 9222, { requireHeader: required });
    try {
      for (const secretLines of [[], ['X-Suna-CDP: wrong'], ['X-Suna-CDP: secret-0123456789abcdef', 'x-suna-cdp: secret-0123456789abcdef'], ['X-Suna-CDP: secret-0123456789abcde']]) {
        const answer = await exchange(fwd.port, ['GET /json/version HTTP/1.1', 'Host: 127.0.0.1', ...secretLines].join('\r\n') + '\r\n\r\n');
        assert.match(answer, /^HTTP\/1\.1 403 Forbidden/, secretLines.join(' | '));
      }
      assert.deepEqual(opened, []);
      assert.deepEqual(sent, []);
    } finally {
      await fwd.close();
    }
  });
});
