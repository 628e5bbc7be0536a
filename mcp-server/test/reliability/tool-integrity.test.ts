// Tool-definition integrity (rug pulls, tool poisoning): the tool list is identical across processes and
// sessions (same hash), carries no hidden instructions or invisible characters, and never changes during a
// session (no list_changed notification while tools are used).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { startServer } from '../fixtures/server.ts';
import { spawnRawStdio, startHttpServer } from './helpers.ts';

const canonical = (tools: Tool[]) => JSON.stringify([...tools].sort((a, b) => a.name.localeCompare(b.name)));
const hash = (tools: Tool[]) => createHash('sha256').update(canonical(tools)).digest('hex');

// What tool poisoning looks like (Invariant Labs' PoC and the MCPTox corpus): instructions aimed at the model,
// secrets to read, secrecy towards the user, and text hidden from the user by invisible characters.
const POISON = [
  /<\/?(important|system|instructions?)>/i,
  /ignore (all |any )?(previous|prior|above) instructions/i,
  /do not (tell|inform|mention)/i,
  /(~|\$HOME)\/\.(ssh|aws|config)|id_rsa|mcp\.json|\.env\b/i,
  /before using this tool/i,
  /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\uFEFF\u00AD\u180E]|[\u{E0000}-\u{E007F}]/u,
];

describe('reliability: tool-definition integrity', function () {
  this.timeout(120_000);

  it('two server processes and two HTTP sessions list byte-identical tools', async () => {
    const a = await startServer();
    const b = await startServer();
    const srv = await startHttpServer();
    try {
      const [la, lb] = [(await a.client.listTools()).tools, (await b.client.listTools()).tools];
      const c1 = await srv.client();
      const c2 = await srv.client();
      const [h1, h2] = [(await c1.listTools()).tools, (await c2.listTools()).tools];
      assert.ok(la.length > 10);
      assert.equal(hash(la), hash(lb), 'two stdio processes list different tools');
      assert.equal(hash(h1), hash(h2), 'two HTTP sessions list different tools');
      assert.equal(hash(la), hash(h1), 'stdio and HTTP list different tools');
      // The list is the same before and after the tools are used.
      await a.ok('shell_exec', { command: 'true' });
      await a.ok('file_write', { path: 'x.txt', content: 'x' });
      assert.equal(hash((await a.client.listTools()).tools), hash(la));
      await c1.close();
      await c2.close();
    } finally {
      await a.close();
      await b.close();
      await srv.stop();
    }
  });

  it('names, titles, descriptions and schemas carry no hidden instructions or invisible characters', async () => {
    const s = await startServer();
    try {
      const { tools } = await s.client.listTools();
      for (const t of tools) {
        assert.match(t.name, /^[a-z][a-z0-9_]{2,63}$/, `tool name ${JSON.stringify(t.name)}`);
        const text = JSON.stringify({ title: t.title, description: t.description, annotations: t.annotations, inputSchema: t.inputSchema, outputSchema: t.outputSchema });
        for (const p of POISON) assert.doesNotMatch(text, p, `${t.name} matches ${p}`);
        assert.ok((t.description ?? '').length < 2000, `${t.name}: a ${t.description?.length}-character description`);
        assert.equal(t.inputSchema.type, 'object');
      }
    } finally {
      await s.close();
    }
  });

  it('no tools/list_changed notification is sent while tools are used', async () => {
    const raw = spawnRawStdio();
    try {
      await raw.initialize();
      const calls: [string, Record<string, unknown>][] = [
        ['shell_exec', { command: 'echo hi' }],
        ['file_write', { path: 'a.txt', content: 'a' }],
        ['file_read', { path: 'a.txt' }],
        ['sandbox_status', {}],
        ['shell_start', { command: 'sleep 1' }],
      ];
      calls.forEach(([name, args], i) => raw.send(JSON.stringify({ jsonrpc: '2.0', id: i + 1, method: 'tools/call', params: { name, arguments: args } })));
      for (let i = 1; i <= calls.length; i++) await raw.response(i);
      raw.send(JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'tools/list' }));
      await raw.response(99);
      const notifications = raw.lines.map((l) => JSON.parse(l)).filter((m) => !('id' in m));
      assert.deepEqual(notifications.filter((m) => /list_changed/.test(m.method)), []);
    } finally {
      await raw.exit();
    }
  });
});
