// Streamable HTTP transport with the checks the MCP spec asks of local servers: loopback bind by default,
// Host and Origin validation (403), a bearer token (401), a body size cap (413), a rate limit per token (429).
// One McpServer per session. /healthz and /readyz need no token; /metrics does unless --metrics-public.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { registerSecret } from '@suna/shared';
import type { ServerConfig } from './config.js';
import { readiness } from './health.js';
import { RateLimiter } from './limits.js';
import { rateLimited, registry } from './metrics.js';
import { createServer, VERSION } from './server.js';
import type { Runtime } from './tool.js';

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];

export interface HttpHandle {
  server: Server;
  url: string;
  token: string;
  close(): Promise<void>;
}

function hostAllowed(hostHeader: string | undefined, port: number, extra: string[]): boolean {
  if (!hostHeader) return false;
  const allowed = [...LOOPBACK_HOSTS.flatMap((h) => [h, `${h}:${port}`]), ...extra];
  return allowed.includes(hostHeader.toLowerCase());
}

function originAllowed(origin: string | undefined, extra: string[]): boolean {
  if (origin === undefined) return true; // not a browser (or same-origin navigation): Host and token still apply
  try {
    const u = new URL(origin);
    if ((u.protocol === 'http:' || u.protocol === 'https:') && LOOPBACK_HOSTS.includes(u.hostname.toLowerCase())) return true;
    if (u.hostname === '::1' || u.hostname === '[::1]') return true;
  } catch {
    return false;
  }
  return extra.includes(origin);
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]!.trim());
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function reject(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

async function readBody(req: IncomingMessage, max: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) throw Object.assign(new Error('body too large'), { status: 413 });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  if (!size) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw Object.assign(new Error('Parse error: the body is not valid JSON'), { status: 400, rpcCode: -32700 });
  }
}

export async function startHttp(config: ServerConfig, runtime: Runtime): Promise<HttpHandle> {
  const http = config.http!;
  const token = http.token ?? randomBytes(24).toString('base64url');
  registerSecret(token);
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const limiter = new RateLimiter(http.rateLimit);
  let port = http.port;

  const server = createHttpServer(async (req, res) => {
    try {
      if (!hostAllowed(req.headers.host, port, http.allowedHosts)) return reject(res, 403, 'Forbidden: Host header not allowed');
      if (!originAllowed(req.headers.origin, http.allowedOrigins)) return reject(res, 403, 'Forbidden: Origin not allowed');
      const url = new URL(req.url ?? '/', 'http://localhost');
      // Probes for supervisors and load balancers: no token, nothing secret in them.
      if (url.pathname === '/healthz') return json(res, 200, { status: 'ok', version: VERSION });
      if (url.pathname === '/readyz') {
        const r = await readiness(runtime);
        return json(res, r.ready ? 200 : 503, r);
      }
      const authorized = tokenMatches(req.headers.authorization, token);
      if (url.pathname === '/metrics' && (authorized || http.metricsPublic)) {
        res.writeHead(200, { 'content-type': registry.contentType });
        return res.end(await registry.metrics());
      }
      if (!authorized) return reject(res, 401, 'Unauthorized: send "Authorization: Bearer <token>"', { 'www-authenticate': 'Bearer' });
      if (url.pathname !== '/mcp') return reject(res, 404, 'Not found: the MCP endpoint is /mcp');
      const wait = limiter.take(token);
      if (wait) {
        rateLimited.inc();
        return reject(res, 429, `Too many requests: the limit is ${http.rateLimit} per minute; retry in ${wait} s`, { 'retry-after': String(wait) });
      }

      const sessionId = req.headers['mcp-session-id'] as string | undefined;
      const body = req.method === 'POST' ? await readBody(req, http.maxBodyBytes) : undefined;
      let transport = sessionId ? sessions.get(sessionId) : undefined;
      if (sessionId && !transport) return reject(res, 404, 'Session not found: start a new session with initialize');
      if (!transport) {
        if (req.method !== 'POST' || !isInitializeRequest(body)) return reject(res, 400, 'Bad request: no session; send initialize first');
        const t = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomBytes(16).toString('hex'), // 128 random bits
          onsessioninitialized: (id) => void sessions.set(id, t),
        });
        t.onclose = () => t.sessionId && sessions.delete(t.sessionId);
        await createServer(config, runtime).connect(t);
        transport = t;
      }
      await transport.handleRequest(req, res, body);
    } catch (err) {
      const e = err as { status?: number; rpcCode?: number; message: string };
      if (res.headersSent) return res.end();
      if (e.status === 413) return reject(res, 413, `Payload too large: the limit is ${http.maxBodyBytes} bytes`);
      if (e.status === 400) {
        res.writeHead(400, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: e.rpcCode ?? -32600, message: e.message }, id: null }));
      }
      runtime.log.error('http request failed', { error: e.message });
      reject(res, 500, 'Internal error');
    }
  });
  await new Promise<void>((resolve, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(http.port, http.host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const hostForUrl = http.host.includes(':') ? `[${http.host}]` : http.host;
  return {
    server,
    url: `http://${hostForUrl}:${port}/mcp`,
    token,
    async close() {
      for (const t of sessions.values()) await t.close().catch(() => {});
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
    },
  };
}
