// `suna-mcp setup`: entries for Claude Desktop, Cursor and VS Code that keep the flags and key variables given.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entryFor, mergeConfig, parseSetupArgs, setupClient } from '../../src/commands/setup.ts';
import { loadConfig } from '../../src/config.ts';

const BASE = { command: '/opt/node/bin/node', args: ['/src/suna/mcp-server/dist/cli.js'] };
const check = (args: string[]) => void loadConfig(args, {});

describe('setup', () => {
  it('keeps the server flags it was given, after the cli path', () => {
    const opts = parseSetupArgs(['cursor', '--write', '--network', 'none', '--name', 'sandbox', '--tools', 'shell,files'], check);
    assert.equal(opts.client, 'cursor');
    assert.equal(opts.write, true);
    assert.equal(opts.name, 'sandbox');
    assert.deepEqual(opts.serverArgs, ['--network', 'none', '--tools', 'shell,files']);
    assert.deepEqual(entryFor('cursor', opts.serverArgs!, {}, BASE).args, [BASE.args[0], '--network', 'none', '--tools', 'shell,files']);
  });

  it('refuses an unknown client and a server flag the server would refuse', () => {
    assert.throws(() => parseSetupArgs(['zed'], check), /usage: suna-mcp setup <claude-desktop\|cursor\|vscode>/);
    assert.throws(() => parseSetupArgs(['vscode', '--no-such-flag'], check), /no-such-flag/);
    assert.throws(() => parseSetupArgs(['vscode', '--name'], check), /--name needs a value/);
  });

  it('passes key and Docker variables that are set, and only those', () => {
    const e = entryFor('claude-desktop', [], { ANTHROPIC_API_KEY: 'sk-ant-123456789', DOCKER_HOST: 'tcp://10.0.0.5:2376', HOME: '/home/x', OPENAI_API_KEY: '' }, BASE);
    assert.deepEqual(e.env, { ANTHROPIC_API_KEY: 'sk-ant-123456789', DOCKER_HOST: 'tcp://10.0.0.5:2376' });
  });

  it('shapes the VS Code entry with type stdio under "servers"', () => {
    const merged = JSON.parse(mergeConfig('{"servers":{"other":{"type":"http","url":"http://x"}},"inputs":[]}', 'suna', entryFor('vscode', [], {}, BASE), 'servers'));
    assert.deepEqual(merged.servers.other, { type: 'http', url: 'http://x' });
    assert.deepEqual(merged.inputs, []);
    assert.equal(merged.servers.suna.type, 'stdio');
    assert.equal(merged.servers.suna.command, BASE.command);
  });

  it('writes the file 0600 with the real key, and prints it masked without --write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'suna-setup-'));
    try {
      const path = join(dir, 'mcp.json');
      writeFileSync(path, '{"mcpServers":{"keep":{"command":"x"}}}');
      const env = { TAVILY_API_KEY: 'tvly-secretsecret' };
      const printed = await setupClient({ client: 'cursor', write: false, path, serverArgs: ['--network', 'none'], env });
      assert.doesNotMatch(printed, /secretsecret/);
      assert.match(printed, /"--network",\s*"none"/);
      await setupClient({ client: 'cursor', write: true, path, serverArgs: ['--network', 'none'], env });
      const cfg = JSON.parse(readFileSync(path, 'utf8'));
      assert.deepEqual(cfg.mcpServers.keep, { command: 'x' });
      assert.equal(cfg.mcpServers.suna.env.TAVILY_API_KEY, 'tvly-secretsecret');
      assert.equal(statSync(path).mode & 0o777, 0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves a config that is not JSON untouched and says what to do', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'suna-setup-'));
    try {
      const path = join(dir, 'claude.json');
      writeFileSync(path, '{ not json');
      await assert.rejects(setupClient({ client: 'claude-desktop', write: true, path }), /not valid JSON; fix or move it/);
      assert.equal(readFileSync(path, 'utf8'), '{ not json');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
