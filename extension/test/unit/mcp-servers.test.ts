// External MCP servers in the extension: `${secret:NAME}` placeholders from a fake secret store, the
// `suna.mcpServers` setting read per server, the approval decision for external tools in every mode, and the
// hub manager putting a failed server into the run's notices (real SDK servers over the in-memory transport).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { z } from 'zod';
import { redactSecrets } from '@suna/shared';
import { createProvider, type ToolSpec } from '@suna/shared/agent/index';
import type { PinStore, RoutingToolHost } from '@suna/shared/mcp-hub/index';
import { annotationsFor } from '@suna/shared/tool-kinds';
import { startFakeModelServer } from '../../../shared/test/fixtures/fake-model-server.ts';
import { ApprovalGate } from '../../src/common/approval-gate.ts';
import type { ChatEvent } from '../../src/common/transcript.ts';
import { ChatSession } from '../../src/node/chat-session.ts';
import { HistoryStore } from '../../src/node/history-store.ts';
import { decide, type ApprovalMode } from '../../src/common/approvals.ts';
import { ExternalHub, type NoticeLevel } from '../../src/node/external-hub.ts';
import {
  externalToolHints,
  loadExternalServers,
  McpSecretError,
  resolveSecretPlaceholders,
  resolveServerSecrets,
  secretStorageKey,
  withExternalTools,
  type HintedToolHost,
} from '../../src/node/external-servers.ts';

const signal = () => new AbortController().signal;
const secrets = (map: Record<string, string>) => async (name: string) => map[name];

describe('MCP server secrets (${secret:NAME})', () => {
  it('fills placeholders from the secret getter and registers the values for redaction', async () => {
    const got = await resolveSecretPlaceholders('Bearer ${secret:GH_TOKEN} / ${secret:other.key} / ${secret:GH_TOKEN}', 'w', secrets({ GH_TOKEN: 'ghp-extension-secret-1', 'other.key': 'second-secret-2' }));
    assert.equal(got, 'Bearer ghp-extension-secret-1 / second-secret-2 / ghp-extension-secret-1');
    assert.equal(redactSecrets('saw ghp-extension-secret-1 and second-secret-2'), 'saw [redacted] and [redacted]');
    assert.equal(await resolveSecretPlaceholders('plain ${HOME}', 'w', secrets({})), 'plain ${HOME}');
    assert.equal(secretStorageKey('GH_TOKEN'), 'suna.mcp.GH_TOKEN');
  });

  it('refuses an unset or empty secret, naming the field, the secret and the command to set it', async () => {
    for (const store of [{}, { MISSING: '' }] as Array<Record<string, string>>) {
      await assert.rejects(resolveSecretPlaceholders('${secret:MISSING}', 'suna.mcpServers.gh.env.TOKEN', secrets(store)), (e: Error) => {
        assert.ok(e instanceof McpSecretError);
        assert.match(e.message, /^suna\.mcpServers\.gh\.env\.TOKEN: the secret "MISSING" is not set; run "Suna: Set MCP Server Secret"/);
        return true;
      });
    }
    await assert.rejects(resolveSecretPlaceholders('${secret:bad name}', 'w', secrets({})), /not a valid secret name/);
  });

  it('reads secrets only in env and headers, never in command, args, cwd or url', async () => {
    const get = secrets({ T: 'token-value-123' });
    const stdio = await resolveServerSecrets('s', { type: 'stdio', command: 'x', args: ['a'], env: { TOKEN: '${secret:T}' }, disabled: false }, get);
    assert.deepEqual(stdio.type === 'stdio' && stdio.env, { TOKEN: 'token-value-123' });
    const http = await resolveServerSecrets('h', { type: 'http', url: 'https://x.example/mcp', headers: { Authorization: 'Bearer ${secret:T}' }, disabled: false }, get);
    assert.deepEqual(http.type === 'http' && http.headers, { Authorization: 'Bearer token-value-123' });
    await assert.rejects(resolveServerSecrets('s', { type: 'stdio', command: 'x', args: ['--key=${secret:T}'], env: {}, disabled: false }, get), /suna\.mcpServers\.s\.args\.0: .*only read in "env" and "headers"/);
    await assert.rejects(resolveServerSecrets('h', { type: 'http', url: 'https://x.example/${secret:T}', headers: {}, disabled: false }, get), /\.url: /);
  });
});

describe('suna.mcpServers setting', () => {
  it('loads each server on its own: a broken entry or a missing secret leaves out only that server', async () => {
    const { config, problems } = await loadExternalServers(
      {
        gh: { command: 'npx', args: ['-y', 'gh-mcp'], env: { GITHUB_TOKEN: '${secret:GH}', HOME_DIR: '${env:HOME_X}' } },
        docs: { url: 'https://docs.example/mcp', headers: { Authorization: 'Bearer ${secret:DOCS}' } },
        broken: { url: 'ftp://nope' },
        later: { command: 'x', env: { K: '${secret:NOT_YET}' }, disabled: true },
      },
      secrets({ GH: 'gh-secret-value-9' }),
      { HOME_X: '/home/x' },
    );
    assert.deepEqual(Object.keys(config.servers).sort(), ['gh', 'later']);
    const gh = config.servers.gh!;
    assert.deepEqual(gh.type === 'stdio' && gh.env, { GITHUB_TOKEN: 'gh-secret-value-9', HOME_DIR: '/home/x' });
    // A disabled server needs no secrets yet; its placeholder stays unresolved and it never starts.
    assert.equal(config.servers.later?.disabled, true);
    assert.match(problems.docs!, /the secret "DOCS" is not set/);
    assert.match(problems.broken!, /http:\/\/ or https:\/\//);
  });

  it('accepts a pasted {"mcpServers": …} document and ignores an empty setting', async () => {
    const pasted = await loadExternalServers({ mcpServers: { a: { url: 'http://127.0.0.1:1/mcp' } } }, secrets({}));
    assert.deepEqual(Object.keys(pasted.config.servers), ['a']);
    assert.deepEqual(await loadExternalServers(undefined, secrets({})), { config: { servers: {} }, problems: {} });
    assert.deepEqual(Object.keys((await loadExternalServers({}, secrets({}))).config.servers), []);
    assert.match((await loadExternalServers(['x'], secrets({}))).problems['suna.mcpServers']!, /expected an object/);
  });
});

/** The sandbox's tools with their annotations, as McpToolHost gives them. */
function sandbox(): HintedToolHost {
  const specs: ToolSpec[] = [
    { name: 'file_read', description: 'read', inputSchema: { type: 'object' }, readOnly: true },
    { name: 'file_write', description: 'write', inputSchema: { type: 'object' }, readOnly: false },
  ];
  const hints: Record<string, ReturnType<typeof annotationsFor>> = { file_read: annotationsFor('read'), file_write: annotationsFor('write') };
  let listed = false;
  return {
    listTools: async () => ((listed = true), specs),
    callTool: async (name) => ({ text: `sandbox ${name}` }),
    hintsOf: (name) => (listed ? hints[name] : undefined),
  };
}

function externalHost(): RoutingToolHost & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    listTools: async () => [
      { name: 'gh__search', description: 'search issues', inputSchema: { type: 'object' }, readOnly: true },
      { name: 'gh__create_issue', description: 'open an issue', inputSchema: { type: 'object' }, readOnly: false },
    ],
    callTool: async (name) => (calls.push(name), { text: `external ${name}` }),
    handles: (name) => name.startsWith('gh__'),
  };
}

describe('approvals for external tools', () => {
  it('decides from readOnly alone, as open-world tools: never run unasked for being external', () => {
    const expected: Record<ApprovalMode, { readOnly: string; writes: string }> = {
      ask: { readOnly: 'ask', writes: 'ask' },
      'auto-read': { readOnly: 'run', writes: 'ask' },
      auto: { readOnly: 'run', writes: 'run' },
    };
    const spec = (readOnly: boolean): ToolSpec => ({ name: 'gh__x', description: '', inputSchema: { type: 'object' }, readOnly });
    for (const mode of Object.keys(expected) as ApprovalMode[]) {
      assert.equal(decide(mode, externalToolHints(spec(true))), expected[mode].readOnly, `${mode} / readOnlyHint`);
      assert.equal(decide(mode, externalToolHints(spec(false))), expected[mode].writes, `${mode} / not read-only`);
      assert.equal(decide(mode, externalToolHints(undefined)), expected[mode].writes, `${mode} / unknown tool`);
    }
  });

  it('puts external tools next to the sandbox tools behind the same gate, with their own hints and reasons', async () => {
    const ext = externalHost();
    const tools = withExternalTools(sandbox(), ext);
    assert.deepEqual((await tools.listTools()).map((t) => t.name), ['file_read', 'file_write', 'gh__search', 'gh__create_issue']);
    // Sandbox tools keep their annotations (file_read stays closed-world and runs in ask mode).
    assert.equal(decide('ask', tools.hintsOf('file_read')), 'run');
    assert.equal(decide('ask', tools.hintsOf('gh__search')), 'ask');
    assert.match(tools.reasonOf('gh__create_issue'), /external MCP server "gh", outside the sandbox/);
    assert.match(tools.reasonOf('file_write'), /sandbox/);

    for (const [mode, asksFor] of [['ask', ['gh__search', 'gh__create_issue']], ['auto-read', ['gh__create_issue']], ['auto', []]] as const) {
      const asked: string[] = [];
      const gate = new ApprovalGate(tools, () => mode, (n) => tools.hintsOf(n), { onAsk: (id, name) => (asked.push(name), void gate.decide(id, true)), onDecided: () => {} });
      for (const name of ['gh__search', 'gh__create_issue']) {
        gate.announce(`${mode}-${name}`, name, {});
        assert.deepEqual(await gate.callTool(name, {}, signal()), { text: `external ${name}` });
      }
      assert.deepEqual(asked, asksFor, mode);
    }
  });
});

describe('external hub for chat runs', () => {
  const pins = (): PinStore => {
    const m = new Map<string, Record<string, string>>();
    return { load: async (k) => m.get(k), save: async (k, v) => void m.set(k, v) };
  };

  it('reports a server that fails to start (and a left-out one) in the run and goes on with the others', async () => {
    const servers: McpServer[] = [];
    const hub = new ExternalHub({
      read: () => ({ good: { command: 'good' }, bad: { command: 'bad' }, nosecret: { url: 'https://x.example/mcp', headers: { 'X-Key': '${secret:NOPE}' } } }),
      getSecret: secrets({}),
      pins: pins(),
      log: () => {},
      transport: async (name) => {
        if (name === 'bad') throw new Error('spawn bad ENOENT');
        const server = new McpServer({ name, version: '1' });
        server.registerTool('echo', { description: 'echo back', inputSchema: { text: z.string() }, annotations: { readOnlyHint: true } }, async ({ text }) => ({ content: [{ type: 'text', text }] }));
        const [client, srv] = InMemoryTransport.createLinkedPair();
        await server.connect(srv);
        servers.push(server);
        return client;
      },
    });
    try {
      const notices: Array<[NoticeLevel, string]> = [];
      const run = await hub.forRun(signal(), (level, text) => notices.push([level, text]));
      assert.ok(run);
      assert.deepEqual((await run.host.listTools()).map((t) => t.name), ['good__echo']);
      assert.deepEqual(await run.host.callTool('good__echo', { text: 'hi' }, signal()), { text: 'hi' });
      const texts = notices.map(([, t]) => t).join('\n');
      assert.match(texts, /MCP server "nosecret" was left out: .*the secret "NOPE" is not set/);
      assert.match(texts, /MCP server "bad" is unavailable \(could not start: spawn bad ENOENT\); this run continues without its tools/);
      assert.match(texts, /External MCP tools: good__echo/);
      const status = await hub.status();
      assert.deepEqual(status.map((s) => [s.name, s.state]).sort(), [['bad', 'failed'], ['good', 'ready'], ['nosecret', 'failed']]);
      run.detach();
    } finally {
      await hub.dispose();
      await Promise.all(servers.map((s) => s.close()));
    }
  });

  it('has nothing for a run when no servers are configured', async () => {
    const hub = new ExternalHub({ read: () => undefined, getSecret: secrets({}), pins: pins(), log: () => {} });
    assert.equal(await hub.forRun(signal(), () => {}), undefined);
    assert.deepEqual(await hub.status(), []);
  });
});

describe('chat session with external tools', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'suna-mcp-chat-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('offers external tools to the model behind the approval gate, and goes on without them when they fail', async () => {
    const fake = await startFakeModelServer([
      { toolCalls: [{ id: 'e1', name: 'gh__create_issue', args: { title: 'x' } }] },
      { text: 'Opened it.' },
      { text: 'Without them.' },
    ]);
    try {
      const ext = externalHost();
      let failing = false;
      const s = new ChatSession({
        tools: sandbox(),
        externalTools: async (_signal, notice) => {
          if (failing) throw new Error('suna.mcpServers is broken');
          notice('info', 'External MCP tools: gh__search, gh__create_issue');
          return { host: ext, detach: () => {} };
        },
        provider: async (m) => createProvider(m, { apiKey: 'test-key', baseURL: fake.anthropicBaseURL }),
        model: () => 'anthropic:claude-sonnet-5-5',
        approvalMode: () => 'auto-read',
        store: new HistoryStore(dir),
      });
      const events: ChatEvent[] = [];
      await s.send('open an issue', (e) => {
        events.push(e);
        if (e.type === 'tool_approval') queueMicrotask(() => s.decide(e.id, true));
      });
      const approval = events.find((e) => e.type === 'tool_approval');
      assert.match(approval && approval.type === 'tool_approval' ? (approval.reason ?? '') : '', /external MCP server "gh"/);
      assert.deepEqual(ext.calls, ['gh__create_issue']);
      const tools = (fake.requests[0]!.body as { tools: Array<{ name: string }> }).tools.map((t) => t.name);
      assert.deepEqual(tools, ['file_read', 'file_write', 'gh__search', 'gh__create_issue']);

      failing = true;
      const summary = await s.send('again', () => {});
      assert.equal(summary.reason, 'final_answer');
      const notices = s.conversation.items.filter((i) => i.kind === 'notice').map((i) => i.kind === 'notice' && i.text);
      assert.deepEqual(notices, ['External MCP tools: gh__search, gh__create_issue', 'External MCP servers are unavailable (suna.mcpServers is broken); this run continues without them.']);
    } finally {
      await fake.close();
    }
  });
});
