import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { resultText, sandboxNameFor, ServerConnection, type ConnectionState } from '../../src/node/server-connection.ts';
import { McpToolHost } from '../../src/node/mcp-tool-host.ts';

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

  it('names a sandbox after the folder, unique per path, within the server name rule', () => {
    const hash = (s: string) => Buffer.from(s).toString('hex').padEnd(8, '0');
    const name = sandboxNameFor('My Project (v2)!', '/home/me/My Project (v2)!', hash);
    assert.match(name, /^vscode-my-project-v2-[0-9a-f]{8}$/);
    assert.match(sandboxNameFor('..', '/x', hash), /^vscode-workspace-/);
    assert.ok(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/.test(sandboxNameFor('x'.repeat(200), '/p', hash)));
  });
});
