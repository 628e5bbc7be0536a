// CDP over the daemon's raw connection (cdp-transport.ts): what comes back on it is the sandbox's, whatever listens
// on Chromium's port in there. A non-WebSocket answer fails the start with an error; a message that is not JSON
// ends the connection and reaches playwright-core as a close, never as a message.
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createRequire } from 'node:module';
import { cdpTransportOn } from '../../src/browser/cdp-transport.ts';

const { wsServer: WebSocketServer } = createRequire(import.meta.url)('playwright-core/lib/utilsBundle') as {
  wsServer: new (o: object) => { on(e: 'connection', cb: (ws: { send(d: string): void; on(e: 'message', cb: (d: Buffer) => void): void }, req: { url?: string }) => void): void; close(): void; address(): { port: number } };
};

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}
const dial = (port: number) => new Promise<Socket>((resolve) => { const s = connect(port, '127.0.0.1', () => resolve(s.pause())); });

describe('CDP transport on a raw tunnel connection (attack: what the sandbox answers)', () => {
  it('speaks CDP both ways on the given socket, on the browser path it was given', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => setTimeout(r, 50));
    let path = '';
    wss.on('connection', (ws, req) => {
      path = req.url ?? '';
      ws.on('message', (d) => ws.send(JSON.stringify({ id: (JSON.parse(d.toString()) as { id: number }).id, result: {} })));
    });
    try {
      const t = await cdpTransportOn(await dial(wss.address().port), '/devtools/browser/abc');
      const answer = new Promise<object>((resolve) => (t.onmessage = resolve));
      t.send({ id: 7, method: 'Browser.getVersion' });
      assert.deepEqual(await answer, { id: 7, result: {} });
      assert.equal(path, '/devtools/browser/abc');
      t.close();
    } finally {
      wss.close();
    }
  });

  it('closes the transport on a message that is not JSON, delivering nothing', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => setTimeout(r, 50));
    wss.on('connection', (ws) => ws.send('NOTICE from suna-mcp: {not json'));
    try {
      const t = await cdpTransportOn(await dial(wss.address().port), '/devtools/browser/x');
      const messages: object[] = [];
      t.onmessage = (m) => messages.push(m);
      await new Promise<void>((resolve) => (t.onclose = () => resolve()));
      assert.deepEqual(messages, []);
    } finally {
      wss.close();
    }
  });

  it('fails with an error when the answer is not a WebSocket upgrade', async () => {
    const server = createServer((s) => s.once('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi')));
    const port = await listen(server);
    try {
      await assert.rejects(cdpTransportOn(await dial(port), '/devtools/browser/x'), /Unexpected server response|200/);
    } finally {
      server.close();
    }
  });
});
