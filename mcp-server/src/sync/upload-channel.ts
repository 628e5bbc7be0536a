// A loopback side channel for the sync's archives, for an editor that launched this server on its own machine.
// Why: through MCP an archive travels as base64 inside JSON, and encoding, stringifying, decoding and parsing it
// cost the editor and the server about four times what the bytes themselves cost (the peer, a raw tar stream,
// pays none of it). Here the same archive goes raw, as one HTTP body, to 127.0.0.1 only, with a random bearer
// token the server hands out only as an MCP tool result (workspace_sync_channel), compared in constant time
// before anything is read. The body is bounded by the archive cap (declared length checked before reading), kept
// only when it arrived whole, then validated and written exactly as workspace_sync_push does (push.ts): one bad
// entry refuses it all, nothing written. Deletes and guarded pushes stay on MCP.
// Two bounds: connections (idle keep-alive ones included: an editor's connection pool keeps a few open, and a
// pool that was dropped keeps them until the server's keep-alive timeout) and archives held at once (a request
// past that waits for its turn before its body is read: the bytes stay in the socket, TCP holds the sender back).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { registerSecret } from '@suna/shared';
import { describeError } from '../errors.js';
import { SYNC_LIMITS } from './archive.js';
import { pushValidated, validated, type SyncIo } from './push.js';

export interface UploadChannel {
  url: string;
  token: string;
  close(): void;
}

/** Archives read and held at once (each is in memory while it is validated and extracted). */
const MAX_UPLOADS_AT_ONCE = 4;
/** Open connections, idle ones included (past this a new one is closed as it arrives). */
const MAX_CONNECTIONS = 32;

export async function openUploadChannel(bind: (signal: AbortSignal) => SyncIo, maxBytes = SYNC_LIMITS.maxArchiveBytes): Promise<UploadChannel> {
  const token = randomBytes(32).toString('hex');
  registerSecret(token);
  const expected = Buffer.from(`Bearer ${token}`);
  let uploading = 0;
  const waiting: Array<() => void> = [];
  const release = () => {
    uploading--;
    waiting.shift()?.();
  };
  const reply = (res: ServerResponse, status: number, body: object) => {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json', ...(status === 200 ? {} : { connection: 'close' }) });
    res.end(JSON.stringify(body));
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const auth = Buffer.from(req.headers.authorization ?? '');
    if (auth.length !== expected.length || !timingSafeEqual(auth, expected)) return reply(res, 401, { error: 'unauthorized: use the token workspace_sync_channel gave' });
    if (req.method !== 'POST' || req.url !== '/push') return reply(res, 404, { error: 'only POST /push' });
    const declared = Number(req.headers['content-length']);
    if (!Number.isSafeInteger(declared) || declared <= 0) return reply(res, 411, { error: 'send the archive with a Content-Length' });
    if (declared > maxBytes) return reply(res, 413, { error: `archive is over ${maxBytes} bytes; send smaller batches` });
    const aborted = new AbortController();
    res.on('close', () => res.writableFinished || aborted.abort());
    while (uploading >= MAX_UPLOADS_AT_ONCE) await new Promise<void>((wake) => waiting.push(wake));
    uploading++;
    try {
      await receiveAndPush(req, res, declared, aborted.signal);
    } finally {
      release();
    }
  }

  async function receiveAndPush(req: IncomingMessage, res: ServerResponse, declared: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return; // gone while it waited
    const body = Buffer.allocUnsafe(declared);
    let got = 0;
    try {
      for await (const chunk of req as AsyncIterable<Buffer>) got += chunk.copy(body, got);
    } catch {
      return; // the client went away mid-body: nothing was written
    }
    if (got !== declared) return reply(res, 400, { error: `the archive was cut short (${got} of ${declared} bytes); nothing was written` });
    try {
      const r = await pushValidated(bind(signal), await validated(body), [], undefined);
      reply(res, 200, r);
    } catch (err) {
      const { message, internal } = describeError(err);
      reply(res, internal ? 500 : 400, { error: message });
    }
  }

  const server = createServer({ requestTimeout: 330_000, headersTimeout: 10_000, maxHeaderSize: 8192 }, (req, res) => void handle(req, res));
  server.maxConnections = MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  server.unref(); // never what keeps the server process alive
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/push`, token, close: () => server.close() };
}
