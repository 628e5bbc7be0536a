// HTTP sessions are bounded: without a bound every `initialize` keeps an McpServer alive for good (15,000 of
// them took the server from 237 MB to 1.1 GB). At most `max` sessions are kept; a new one evicts the least
// recently used, and a session with no request in flight expires after `idleMs`. Ending a session answers its
// calls in flight with an error (else its client would wait for its own timeout), then closes its McpServer,
// which aborts those calls and ends its streams; the client's next request gets 404 and it initializes again.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isJSONRPCErrorResponse, isJSONRPCNotification, isJSONRPCRequest, isJSONRPCResultResponse, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/sdk/types.js';

/** A session's transport that knows which of its client's requests are still unanswered. */
export class SessionTransport extends StreamableHTTPServerTransport {
  readonly unanswered = new Set<RequestId>();

  override async handleRequest(req: IncomingMessage, res: ServerResponse, parsedBody?: unknown): Promise<void> {
    for (const m of Array.isArray(parsedBody) ? parsedBody : [parsedBody]) {
      if (isJSONRPCRequest(m)) this.unanswered.add(m.id);
      // A request the client cancelled is never answered (MCP cancellation): stop waiting for it.
      else if (isJSONRPCNotification(m) && m.method === 'notifications/cancelled') this.unanswered.delete((m.params as { requestId?: RequestId } | undefined)?.requestId as RequestId);
    }
    return super.handleRequest(req, res, parsedBody);
  }

  override async send(message: JSONRPCMessage, options?: { relatedRequestId?: RequestId }): Promise<void> {
    if ((isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) && message.id !== undefined) this.unanswered.delete(message.id);
    return super.send(message, options);
  }

  /** Answer every unanswered request with a JSON-RPC error saying why. */
  async answerAll(message: string): Promise<void> {
    for (const id of [...this.unanswered]) await this.send({ jsonrpc: '2.0', id, error: { code: -32000, message } }).catch(() => {});
  }
}

interface Session {
  transport: SessionTransport;
  server: McpServer;
  lastUsed: number;
  /** Requests of this session still being answered (a long GET event stream does not count). */
  inFlight: number;
  /** The tenant that opened it ('' without tenants): only its token may use the session. */
  owner: string;
}

export type EndReason = 'evicted' | 'expired' | 'closed' | 'released';

export class SessionStore {
  // Map order is recency order: a used session is moved to the end, the first one is the least recently used.
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly max: number,
    private readonly idleMs: number,
    private readonly onEnd: (id: string, why: EndReason) => void = () => {},
  ) {
    if (idleMs > 0) this.sweeper = setInterval(() => this.expireIdle(), Math.min(60_000, Math.max(250, idleMs / 4))).unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Make room for one more session (evicting the least recently used ones). */
  reserve(): void {
    while (this.sessions.size >= this.max) {
      const oldest = this.sessions.keys().next().value as string;
      this.end(oldest, 'evicted');
    }
  }

  add(id: string, transport: SessionTransport, server: McpServer, owner = ''): void {
    this.reserve();
    this.sessions.set(id, { transport, server, lastUsed: Date.now(), inFlight: 0, owner });
  }

  /**
   * The session's transport, marked as used; `track` counts the request as in flight until `done` is called
   * (an expiry never closes a session in the middle of a call).
   */
  use(id: string, track: boolean, owner = ''): { transport: SessionTransport; done: () => void } | undefined {
    const s = this.sessions.get(id);
    if (!s || s.owner !== owner) return undefined; // another tenant's session is as unknown as a made-up one
    this.sessions.delete(id);
    this.sessions.set(id, s);
    s.lastUsed = Date.now();
    if (track) s.inFlight++;
    let finished = !track;
    return {
      transport: s.transport,
      done: () => {
        if (finished) return;
        finished = true;
        s.inFlight--;
        s.lastUsed = Date.now();
      },
    };
  }

  /** Forget a session its transport closed by itself (DELETE from the client). */
  forget(id: string): void {
    if (this.sessions.delete(id)) this.onEnd(id, 'closed');
  }

  expireIdle(now = Date.now()): void {
    for (const [id, s] of this.sessions) if (s.inFlight === 0 && now - s.lastUsed > this.idleMs) this.end(id, 'expired');
  }

  /** Close every session of one tenant (its runtime was released as idle). */
  closeOwnedBy(owner: string): void {
    for (const [id, s] of this.sessions) if (s.owner === owner) this.end(id, 'released');
  }

  private end(id: string, why: 'evicted' | 'expired' | 'released'): void {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    this.onEnd(id, why);
    const reason =
      why === 'evicted'
        ? `Session closed: this server keeps at most ${this.max} sessions and this was the least recently used; the call was cancelled. Initialize a new session and call again.`
        : why === 'released'
          ? 'Session closed: this tenant was idle and its sandbox was released; initialize a new session and call again.'
          : 'Session expired after being idle; initialize a new session and call again.';
    void s.transport
      .answerAll(reason)
      .finally(() => s.server.close())
      .catch(() => {});
  }

  async closeAll(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.server.close().catch(() => {})));
  }
}
