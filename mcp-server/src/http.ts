// Streamable HTTP transport with the checks the MCP spec asks of local servers: loopback bind by default,
// Host and Origin validation (403), a bearer token (401), a body size cap (413), a rate limit per token (429).
// No client can wedge it: sessions are bounded (http-sessions.ts), headers and bodies have deadlines, and
// connections are capped. One McpServer per session (--stateless: per request, no session). With --tenants the
// token names a tenant and the request is served by that tenant's runtime (tenants.ts). /healthz and /readyz
// need no token (and then say no more than ok / not ok); /metrics does unless --metrics-public.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { registerSecret } from '@suna/shared';
import type { ServerConfig } from './config.js';
import { publicReadiness, readiness } from './health.js';
import { SessionStore, SessionTransport } from './http-sessions.js';
import { OVERSIZE_ADVICE, RateLimiter } from './limits.js';
import { metricsText, rateLimited, registry } from './metrics.js';
import { createServer } from './server.js';
import { VERSION } from './version.js';
import type { Runtime } from './runtime.js';
import { readTenants, Tenants, type Tenant } from './tenants.js';

const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '[::1]'];
/** A client has this long to send its request line and headers. */
const HEADERS_TIMEOUT_MS = 10_000;
const BACKSTOP_MS = 5000;

export interface HttpHandle {
  server: Server;
  url: string;
  token: string;
  sessions: SessionStore;
  /** --tenants: the tenants and their runtimes. */
  tenants?: Tenants;
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

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly rpcCode = -32600) {
    super(message);
  }
}

/**
 * The request body, parsed, within `max` bytes and before `deadline`. Over the limit the rest is read and
 * dropped (so the client sees the 413, not a reset while it is still sending); past the deadline it is
 * answered 408 and the connection is closed.
 */
async function readBody(req: IncomingMessage, max: number, deadlineMs: number): Promise<unknown> {
  const tooLarge = () => new HttpError(413, `Payload too large: the limit is ${max.toLocaleString('en-US')} bytes per message (--max-body-bytes). ${OVERSIZE_ADVICE}`);
  const declared = Number(req.headers['content-length'] ?? 0);
  const chunks: Buffer[] = [];
  let size = 0;
  const body = await new Promise<Buffer>((resolve, reject) => {
    // The 408 is answered by the caller, which then closes the connection.
    const timer = setTimeout(() => reject(new HttpError(408, `Request timeout: the body did not arrive within ${deadlineMs / 1000} s`)), deadlineMs);
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) chunks.push(chunk);
      else chunks.length = 0; // keep reading, keep nothing
    });
    req.on('end', () => {
      clearTimeout(timer);
      if (size > max || declared > max) reject(tooLarge());
      else resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  if (!body.length) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'Parse error: the body is not valid JSON', -32700);
  }
}

/**
 * --stateless: every POST is served by a fresh McpServer and transport that live as long as the request, so
 * any replica can answer any request (handles such as run_id and process_id are tool arguments, kept in the
 * store and the sandbox). There is no standalone GET stream and nothing to DELETE.
 */
async function serveStateless(req: IncomingMessage, res: ServerResponse, runtime: Runtime): Promise<void> {
  if (req.method !== 'POST') return reject(res, 405, 'Method not allowed: this server is stateless (--stateless); send POST', { allow: 'POST' });
  const body = await readBody(req, runtime.config.maxMessageBytes, runtime.config.http!.requestTimeoutMs);
  const mcp = createServer(runtime.config, runtime);
  const t = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: false });
  res.once('close', () => void t.close().then(() => mcp.close()).catch(() => {}));
  await mcp.connect(t);
  await t.handleRequest(req, res, body);
}

export async function startHttp(config: ServerConfig, runtime: Runtime): Promise<HttpHandle> {
  const http = config.http!;
  const tenants = http.tenantsFile ? new Tenants(config, readTenants(http.tenantsFile)) : undefined;
  const token = tenants ? '' : (http.token ?? randomBytes(24).toString('base64url'));
  registerSecret(token);
  /** Who sends this request: a tenant, the holder of the one token ('' as tenant), or nobody (undefined). */
  const caller = (header: string | undefined): { tenant?: Tenant; runtime: Runtime } | undefined => {
    if (!tenants) return tokenMatches(header, token) ? { runtime } : undefined;
    const tenant = tenants.match(header);
    return tenant && { tenant, runtime: tenants.runtime(tenant) };
  };
  const sessions = new SessionStore(http.maxSessions, http.sessionIdleTimeoutMs, (id, why) => {
    if (why !== 'closed') runtime.log.info(`http session ${why}`, { sessions: sessions.size });
  });
  if (tenants) tenants.onRelease = (name) => sessions.closeOwnedBy(name);
  const limiter = new RateLimiter(http.rateLimit);
  let port = http.port;

  // readBody's deadline answers a slow body with 408; Node's requestTimeout, a little later, is the backstop
  // (it cuts without an answer once a handler runs).
  const timeouts = { headersTimeout: Math.min(HEADERS_TIMEOUT_MS, http.requestTimeoutMs), requestTimeout: http.requestTimeoutMs + BACKSTOP_MS, connectionsCheckingInterval: 1000 };
  const server = createHttpServer(timeouts, async (req, res) => {
    try {
      if (!hostAllowed(req.headers.host, port, http.allowedHosts)) return reject(res, 403, 'Forbidden: Host header not allowed');
      if (!originAllowed(req.headers.origin, http.allowedOrigins)) return reject(res, 403, 'Forbidden: Origin not allowed');
      const url = new URL(req.url ?? '/', 'http://localhost');
      const who = caller(req.headers.authorization);
      const authorized = !!who;
      // Probes for supervisors and load balancers: no token needed, and without one they say only ok / not ok.
      if (url.pathname === '/healthz') return json(res, 200, authorized ? { status: 'ok', version: VERSION } : { status: 'ok' });
      if (url.pathname === '/readyz') {
        const r = await readiness(runtime);
        return json(res, r.ready ? 200 : 503, authorized ? r : publicReadiness(r));
      }
      if (url.pathname === '/metrics' && (authorized || http.metricsPublic)) {
        res.writeHead(200, { 'content-type': registry.contentType });
        return res.end(await metricsText(who?.tenant?.name));
      }
      if (!who) return reject(res, 401, 'Unauthorized: send "Authorization: Bearer <token>"', { 'www-authenticate': 'Bearer' });
      if (url.pathname !== '/mcp') return reject(res, 404, 'Not found: the MCP endpoint is /mcp');
      if (who.tenant && req.method !== 'GET') res.once('close', tenants!.busy(who.tenant));
      const { limit, limiter: tenantLimiter } = who.tenant ? tenants!.limiter(who.tenant) : { limit: http.rateLimit, limiter };
      const wait = tenantLimiter.take(who.tenant?.name ?? token);
      if (wait) {
        rateLimited.inc();
        return reject(res, 429, `Too many requests: the limit is ${limit} per minute; retry in ${wait} s`, { 'retry-after': String(wait) });
      }
      const owner = who.tenant?.name ?? '';
      if (http.stateless) return await serveStateless(req, res, who.runtime);

      const sessionId = req.headers['mcp-session-id'] as string | undefined;
      const body = req.method === 'POST' ? await readBody(req, config.maxMessageBytes, http.requestTimeoutMs) : undefined;
      if (sessionId) {
        // A long GET event stream is not "in flight": a client that only listens still goes idle.
        const session = sessions.use(sessionId, req.method !== 'GET', owner);
        if (!session) return reject(res, 404, 'Session not found or expired: start a new session with initialize');
        res.once('close', session.done);
        return await session.transport.handleRequest(req, res, body);
      }
      if (req.method !== 'POST' || !isInitializeRequest(body)) return reject(res, 400, 'Bad request: no session; send initialize first');
      const mcp = createServer(who.runtime.config, who.runtime);
      const t: SessionTransport = new SessionTransport({
        sessionIdGenerator: () => randomBytes(16).toString('hex'), // 128 random bits
        onsessioninitialized: (id) => sessions.add(id, t, mcp, owner),
      });
      t.onclose = () => t.sessionId && sessions.forget(t.sessionId);
      await mcp.connect(t);
      await t.handleRequest(req, res, body);
      // An initialize that did not make a session (refused by the SDK) leaves nothing behind.
      if (!t.sessionId) await mcp.close().catch(() => {});
    } catch (err) {
      const e = err as { status?: number; rpcCode?: number; message: string };
      if (res.headersSent) return res.end();
      if (err instanceof HttpError) {
        if (err.status === 408) {
          res.setHeader('connection', 'close');
          res.once('finish', () => req.socket.destroy());
        }
        res.writeHead(err.status, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: err.status === 400 ? err.rpcCode : -32000, message: err.message }, id: null }));
      }
      runtime.log.error('http request failed', { error: e.message });
      reject(res, 500, 'Internal error');
    }
  });
  server.maxConnections = http.maxConnections;
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
    sessions,
    tenants,
    async close() {
      tenants?.close();
      await sessions.closeAll();
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
    },
  };
}
