import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { resultText, sandboxNameFor, ServerConnection, type ConnectionState } from '../../src/node/server-connection.ts';
import { McpToolHost } from '../../src/node/mcp-tool-host.ts';
import { createServer, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

/** A Streamable HTTP MCP server whose sessions can be forgotten at once, as a restarted or expiring server does. */
async function forgetfulHttpServer(): Promise<{ url: string; forget(): void; close(): Promise<void>; sessionsMade(): number }> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  let made = 0;
  const http: Server = createServer(async (req, res) => {
    const id = req.headers['mcp-session-id'];
    if (typeof id === 'string') {
      const known = sessions.get(id);
      if (!known) return void res.writeHead(404).end('Session not found');
      return void (await known.handleRequest(req, res));
    }
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: randomUUID, onsessioninitialized: (sid) => void sessions.set(sid, transport) });
    const server = new McpServer({ name: 'forgetful', version: '1.0.0' });
    server.registerTool('ping', { description: 'answers pong' }, async () => ({ content: [{ type: 'text', text: 'pong' }] }));
    await server.connect(transport);
    made++;
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    forget: () => sessions.clear(),
    sessionsMade: () => made,
    close: () => new Promise((r) => { http.closeAllConnections(); http.close(() => r()); }),
  };
}

const TINY = fileURLToPath(new URL('../fixtures/tiny-mcp-server.ts', import.meta.url));

function tiny(log: string[] = []): ServerConnection {
  return new ServerConnection(async () => ({ kind: 'stdio', command: process.execPath, args: ['--import', 'tsx', TINY], env: { ...(process.env as Record<string, string>) } }), (l) => log.push(l));
}

describe('server connection', function () {
  this.timeout(30_000);

  it('restarts the server when it dies, and the next call works', async () => {
    const conn = tiny();
    const states: ConnectionState['status'][] = [];
    conn.on('state', (s) => states.push(s.status));
    try {
      const first = resultText(await conn.callTool('ping', {}));
      await conn.callTool('die', {}).catch(() => {});
      const deadline = Date.now() + 10_000;
      let second = '';
      while (Date.now() < deadline) {
        second = await conn.callTool('ping', {}).then(resultText, () => '');
        if (second) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.match(second, /^pong from \d+$/);
      assert.notEqual(second, first, 'a new server process answers');
      assert.ok(states.includes('restarting'), states.join(','));
    } finally {
      await conn.dispose();
    }
  });

  it('the agent sees the server tools with read-only taken from annotations; hidden families are left out', async () => {
    const conn = tiny();
    try {
      const host = new McpToolHost(conn);
      const specs = await host.listTools();
      assert.deepEqual(specs.map((s) => [s.name, s.readOnly]), [['ping', true], ['die', false]]);
      assert.equal((await host.callTool('workspace_sync_push', {}, new AbortController().signal)).isError, true);
    } finally {
      await conn.dispose();
    }
  });

  it('starts a new HTTP session when the server no longer knows ours (404), and the call goes through', async () => {
    const server = await forgetfulHttpServer();
    const log: string[] = [];
    const conn = new ServerConnection(async () => ({ kind: 'http', url: server.url }), (l) => log.push(l));
    try {
      assert.equal(resultText(await conn.callTool('ping', {})), 'pong');
      server.forget();
      assert.equal(resultText(await conn.callTool('ping', {})), 'pong', 'the call after the server forgot the session');
      assert.equal(server.sessionsMade(), 2);
      assert.ok(log.some((l) => /session expired/.test(l)), log.join('\n'));
      assert.equal(conn.state.status, 'ready');
    } finally {
      await conn.dispose();
      await server.close();
    }
  });

  it('names a sandbox after the folder, unique per path, within the server name rule', () => {
    const hash = (s: string) => Buffer.from(s).toString('hex').padEnd(8, '0');
    const name = sandboxNameFor('My Project (v2)!', '/home/me/My Project (v2)!', hash);
    assert.match(name, /^vscode-my-project-v2-[0-9a-f]{8}$/);
    assert.match(sandboxNameFor('..', '/x', hash), /^vscode-workspace-/);
    assert.ok(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/.test(sandboxNameFor('x'.repeat(200), '/p', hash)));
  });
});
