// Distribution: the packed package installs in an empty directory and runs with no build step; a real MCP
// client nobody here wrote (the MCP Inspector CLI) calls it; doctor, setup and --tools behave.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { CLI, serverEnv, startServer, testSandboxName } from '../fixtures/server.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const INSPECTOR_DIR = process.env.SUNA_INSPECTOR_DIR ?? join(homedir(), '.cache', 'suna-ci', 'inspector');

describe('distribution', function () {
  this.timeout(600_000);
  let work: string;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'suna-dist-'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  describe('npm pack → install in an empty directory → npx suna-mcp', () => {
    let installed = '';

    before(async () => {
      const { stdout } = await run('npm', ['pack', '-w', 'suna-mcp', '--pack-destination', work, '--json'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
      const info = JSON.parse(stdout.slice(stdout.indexOf('[')))[0] as { filename: string; size: number; files: { path: string }[] };
      const files = info.files.map((f) => f.path);
      assert.ok(!files.some((f) => f.endsWith('.map')), `source maps were packed: ${files.join(', ')}`);
      assert.ok(info.size <= 3 * 1024 * 1024, `the tarball is ${info.size} bytes, over 3 MB`);
      assert.ok(files.includes('dist/cli.js'), files.join(', '));
      assert.ok(files.includes('dist/sheets-worker.js'), `the sheet worker is not packed: ${files.join(', ')}`);
      assert.ok(files.includes('README.md'));
      assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('test/')), 'sources or tests were packed');
      const app = join(work, 'app');
      mkdirSync(app);
      writeFileSync(join(app, 'package.json'), '{"name":"empty","version":"1.0.0","private":true}');
      await run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', join(work, info.filename)], { cwd: app, env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' }, maxBuffer: 64 * 1024 * 1024 });
      installed = join(app, 'node_modules', '.bin', 'suna-mcp');
    });

    it('runs with npx from the installed package', async () => {
      const { stdout } = await run('npx', ['--no-install', 'suna-mcp', '--help'], { cwd: join(work, 'app') });
      assert.match(stdout, /suna-mcp \d+\.\d+\.\d+/);
      assert.match(stdout, /--sandbox-name/);
    });

    it('serves a real tool call from the installed package (no dev dependencies, no build)', async () => {
      const client = new Client({ name: 'dist-test', version: '1' });
      await client.connect(new StdioClientTransport({ command: installed, args: [], env: serverEnv(), stderr: 'ignore' }));
      const r = (await client.callTool({ name: 'shell_exec', arguments: { command: 'echo packed' } })) as CallToolResult;
      assert.equal((r.structuredContent as { stdout: string }).stdout, 'packed\n');
      // Workbooks are parsed in the packed worker file (dist/sheets-worker.js).
      const made = (await client.callTool({ name: 'sheet_create', arguments: { path: 'p.csv', sheets: [{ name: 'S', rows: [['packed', 1]] }] } })) as CallToolResult;
      assert.ok(!made.isError, JSON.stringify(made.content));
      const read = (await client.callTool({ name: 'sheet_read', arguments: { path: 'p.csv' } })) as CallToolResult;
      assert.deepEqual((read.structuredContent as { rows: unknown[][] }).rows, [['packed', 1]]);
      await client.close();
    });

    it('is listed and called by the MCP Inspector CLI', async () => {
      const bin = join(INSPECTOR_DIR, 'node_modules', '.bin', 'inspector');
      if (!existsSync(bin)) {
        mkdirSync(INSPECTOR_DIR, { recursive: true });
        writeFileSync(join(INSPECTOR_DIR, 'package.json'), '{"name":"inspector-cache","private":true}');
        await run('npm', ['install', '--no-audit', '--no-fund', '@modelcontextprotocol/inspector@2'], { cwd: INSPECTOR_DIR, maxBuffer: 64 * 1024 * 1024 });
      }
      const env = { ...process.env, HOME: work };
      const sandbox = ['-e', `SUNA_SANDBOX_NAME=${testSandboxName('insp')}`, '-e', 'SUNA_EPHEMERAL=true', '-e', 'SUNA_LOG_LEVEL=warn'];
      if (process.env.SUNA_BASE_IMAGE) sandbox.push('-e', `SUNA_BASE_IMAGE=${process.env.SUNA_BASE_IMAGE}`);
      const list = await run(bin, ['--cli', ...sandbox, installed, '--method', 'tools/list'], { env, maxBuffer: 16 * 1024 * 1024 });
      const tools = (JSON.parse(list.stdout) as { tools: { name: string }[] }).tools.map((t) => t.name);
      assert.ok(tools.includes('shell_exec') && tools.includes('file_read'), tools.join(', '));
      assert.equal(tools.includes('agent_run'), !!(process.env.ANTHROPIC_API_KEY || process.env.OPENAI_API_KEY || process.env.OPENAI_COMPATIBLE_API_KEY), 'agent tools are listed only with a model key');
      const call = await run(bin, ['--cli', ...sandbox, installed, '--method', 'tools/call', '--tool-name', 'shell_exec', '--tool-arg', 'command=echo from-inspector'], { env, maxBuffer: 16 * 1024 * 1024 });
      assert.equal((JSON.parse(call.stdout) as { structuredContent: { stdout: string } }).structuredContent.stdout, 'from-inspector\n');
    });
  });

  describe('doctor', () => {
    it('reports every check and exits 0 on this machine', async () => {
      const { stdout } = await run(process.execPath, [CLI, 'doctor'], { env: { ...process.env, SUNA_DATA_DIR: join(work, 'data'), ANTHROPIC_API_KEY: 'sk-ant-doctor-secret-123' } });
      assert.match(stdout, /^ok {2}\s*node\s+Node v\d+/m);
      assert.match(stdout, /^ok {2}\s*docker\s+Docker Engine/m);
      assert.match(stdout, /^ok {2}\s*image\s+suna-sandbox:/m);
      assert.match(stdout, /memory limit enforced, pids limit enforced; Chromium \d+ in the image/);
      assert.match(stdout, /^ok {2}\s*ANTHROPIC_API_KEY\s+set/m);
      assert.match(stdout, /^warn\s+TAVILY_API_KEY\s+not set/m);
      assert.doesNotMatch(stdout, /sk-ant-doctor-secret/);
    });

    it('says whether the base image can be had when the sandbox image is missing', async () => {
      const image = 'suna-sandbox:doctor-missing-0';
      const local = await run(process.execPath, [CLI, 'doctor', '--image', image], { env: { ...process.env, SUNA_DATA_DIR: join(work, 'data') } }).catch((e) => e as { stdout: string });
      assert.match(local.stdout, /^warn\s+image\s+suna-sandbox:doctor-missing-0 missing/m);
      if (process.env.SUNA_BASE_IMAGE) assert.match(local.stdout, /^ok {2}\s*base image\s+\S+ present: the sandbox image builds offline/m);
      const absent = await run(process.execPath, [CLI, 'doctor', '--image', image, '--base-image', 'suna-no-such-base:0'], { env: { ...process.env, SUNA_DATA_DIR: join(work, 'data') } }).catch((e) => e as { stdout: string });
      assert.match(absent.stdout, /^warn\s+base image\s+suna-no-such-base:0 is not here: .*--base-image/m);
    });

    it('says which Node it needs when started by an older one (Debian 12 ships Node 18/20)', function () {
      const old = ['/usr/bin/node', '/usr/bin/nodejs'].find((p) => existsSync(p) && Number(spawnSync(p, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).stdout) < 22);
      if (!old) return this.skip();
      const r = spawnSync(old, [CLI], { encoding: 'utf8', input: '' });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^suna-mcp needs Node\.js 22 or newer; this is v\d+/);
      assert.doesNotMatch(r.stderr, /SyntaxError/);
    });

    it('fails with what to fix when Docker is unreachable', () => {
      const r = spawnSync(process.execPath, [CLI, 'doctor'], { env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent/docker.sock' }, encoding: 'utf8' });
      assert.equal(r.status, 1);
      assert.match(r.stdout, /^FAIL\s+docker\s+Docker is not reachable.*start Docker Desktop or dockerd/m);
    });
  });

  describe("from a fresh clone: the README's two commands", () => {
    let clone = '';
    before(async function () {
      // What is committed, as a user would clone it (node_modules and dist are not in git).
      clone = join(work, 'clone');
      await run('git', ['clone', '-q', ROOT, clone]);
    });

    it('./suna-mcp installs, builds and serves a real shell_exec to an SDK client', async () => {
      // The first run installs and builds (minutes), longer than a client waits for initialize: README says to
      // run it once in a terminal; here --version does that.
      const first = await run(join(clone, 'suna-mcp'), ['--version'], { cwd: work, maxBuffer: 64 * 1024 * 1024 });
      assert.match(first.stderr, /installing npm dependencies/);
      assert.match(first.stderr, /building/);
      assert.match(first.stdout, /^\d+\.\d+\.\d+\n$/);
      const client = new Client({ name: 'clone-test', version: '1' });
      let stderr = '';
      const transport = new StdioClientTransport({ command: join(clone, 'suna-mcp'), args: [], env: serverEnv(), stderr: 'pipe' });
      transport.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      try {
        await client.connect(transport);
      } catch (err) {
        throw new Error(`./suna-mcp did not start: ${(err as Error).message}\n${stderr}`);
      }
      const r = (await client.callTool({ name: 'shell_exec', arguments: { command: 'echo from-a-clone' } })) as CallToolResult;
      assert.equal((r.structuredContent as { stdout: string }).stdout, 'from-a-clone\n');
      await client.close();
      assert.doesNotMatch(stderr, /installing|building/); // the second run starts at once
    });

    it('./suna-mcp test runs the suite (here: its unit part)', async () => {
      const { stdout } = await run(join(clone, 'suna-mcp'), ['test', 'unit'], { cwd: clone, maxBuffer: 64 * 1024 * 1024 });
      assert.match(stdout, /\d+ passing/);
      assert.doesNotMatch(stdout, /\d+ failing/);
    });
  });

  describe('setup claude-desktop', () => {
    it('merges into an existing config, keeping the other servers', () => {
      const home = join(work, 'home');
      const cfg = join(home, '.config', 'Claude', 'claude_desktop_config.json');
      mkdirSync(join(home, '.config', 'Claude'), { recursive: true });
      writeFileSync(cfg, JSON.stringify({ mcpServers: { other: { command: 'other-server' } }, theme: 'dark' }));
      const r = spawnSync(process.execPath, [CLI, 'setup', 'claude-desktop', '--write'], { env: { ...process.env, HOME: home, XDG_CONFIG_HOME: '' }, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const merged = JSON.parse(readFileSync(cfg, 'utf8'));
      assert.deepEqual(merged.mcpServers.other, { command: 'other-server' });
      assert.equal(merged.theme, 'dark');
      assert.equal(merged.mcpServers.suna.command, process.execPath); // absolute node: GUI apps lack the shell's PATH
      assert.deepEqual(merged.mcpServers.suna.args, [CLI]);
    });
  });

  describe('--tools', () => {
    it('exposes only the chosen sets (plus sandbox_status / sandbox_reset)', async () => {
      const s = await startServer({ args: ['--tools', 'shell'] });
      try {
        const names = (await s.client.listTools()).tools.map((t) => t.name).sort();
        assert.deepEqual(names, ['sandbox_reset', 'sandbox_status', 'shell_exec', 'shell_input', 'shell_kill', 'shell_list', 'shell_output', 'shell_start']);
      } finally {
        await s.close();
      }
    });

    it('refuses an unknown set before starting', () => {
      const r = spawnSync(process.execPath, [CLI, '--tools', 'shell,nope'], { env: serverEnv(), encoding: 'utf8', input: '' });
      assert.equal(r.status, 2);
      assert.match(r.stderr, /--tools: unknown set nope; choose from default, shell, files, browser, web, sheets, code, deploy, agent, checkpoints/);
    });
  });
});
