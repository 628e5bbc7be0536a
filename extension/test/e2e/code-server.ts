// A real VS Code for the e2e test: code-server from npm, installed once into a cache outside the repo
// (~/.cache/suna-ci/code-server/<version>; its native modules need Node 24 headers and libkrb5-dev),
// started on a free loopback port with its own config, user data and extensions folders.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export const CODE_SERVER_VERSION = process.env.SUNA_CODE_SERVER_VERSION ?? '4.139.1';
const CACHE = process.env.SUNA_CI_CACHE ?? join(homedir(), '.cache', 'suna-ci');
export const CODE_SERVER_PREFIX = join(CACHE, 'code-server', CODE_SERVER_VERSION);
export const CODE_SERVER_ENTRY = join(CODE_SERVER_PREFIX, 'lib', 'node_modules', 'code-server', 'out', 'node', 'entry.js');

function log(line: string): void {
  process.stderr.write(`[e2e] ${line}\n`);
}

/** Installs code-server when missing (about 2 minutes, once). Needs Node 24 on PATH. */
export function ensureCodeServer(): void {
  if (existsSync(CODE_SERVER_ENTRY)) return;
  if (!process.version.startsWith('v24.')) throw new Error(`code-server ${CODE_SERVER_VERSION} needs Node 24 to install (this is ${process.version})`);
  if (process.platform === 'linux' && process.getuid?.() === 0) {
    const have = (() => {
      try {
        execFileSync('dpkg', ['-s', 'libkrb5-dev'], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    })();
    if (!have) {
      log('apt-get install libkrb5-dev (kerberos headers for a native module of code-server)');
      execFileSync('apt-get', ['install', '-y', '-q', 'libkrb5-dev'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    }
  }
  log(`installing code-server ${CODE_SERVER_VERSION} into ${CODE_SERVER_PREFIX} (one time, about 2 minutes)`);
  mkdirSync(CODE_SERVER_PREFIX, { recursive: true });
  const nodeDir = dirname(dirname(process.execPath));
  execFileSync('npm', ['install', '-g', '--prefix', CODE_SERVER_PREFIX, '--no-audit', '--no-fund', `code-server@${CODE_SERVER_VERSION}`], {
    stdio: 'inherit',
    env: { ...process.env, npm_config_nodedir: nodeDir, npm_config_unsafe_perm: 'true', PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
  });
  if (!existsSync(CODE_SERVER_ENTRY)) throw new Error(`code-server did not install: ${CODE_SERVER_ENTRY} is missing`);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface CodeServer {
  url: string;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Installs a .vsix into `extensionsDir` with code-server's own CLI. */
export function installExtension(vsix: string, dirs: { userData: string; extensions: string }): void {
  execFileSync(process.execPath, [CODE_SERVER_ENTRY, '--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions, '--install-extension', vsix, '--force'], { stdio: 'pipe' });
}

export async function startCodeServer(opts: { home: string; userSettings: Record<string, unknown>; env?: Record<string, string> }): Promise<CodeServer> {
  const port = await freePort();
  const userData = join(opts.home, 'user-data');
  const config = join(opts.home, 'config.yaml');
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify(opts.userSettings, null, 2));
  let output = '';
  const child = spawn(
    process.execPath,
    [
      CODE_SERVER_ENTRY,
      '--config', config,
      '--user-data-dir', userData,
      '--extensions-dir', join(opts.home, 'extensions'),
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
    ],
    { env: { ...process.env, XDG_CONFIG_HOME: join(opts.home, 'xdg-config'), XDG_DATA_HOME: join(opts.home, 'xdg-data'), ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  child.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode}):\n${output}`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`code-server did not answer /healthz in 30 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 10_000);
        child.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
      });
    },
  };
}
