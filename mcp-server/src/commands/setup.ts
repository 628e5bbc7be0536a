// `suna-mcp setup <claude-desktop|cursor|vscode> [--write] [server flags…]`: print (or merge into) that client's MCP
// config, with an entry that works from a clone or an install and keeps the flags and key variables it was given.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENVIRONMENT_VARIABLES } from '../environment.js';

export function claudeDesktopConfigPath(platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Claude', 'claude_desktop_config.json');
  if (platform === 'win32') return join(env.APPDATA || join(homedir(), 'AppData', 'Roaming'), 'Claude', 'claude_desktop_config.json');
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'Claude', 'claude_desktop_config.json');
}

export interface ServerEntry {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/**
 * The entry for this installation. GUI apps do not see the PATH of a shell (nvm, fnm, Homebrew), so when
 * suna-mcp is installed (not run from npx's throwaway cache) we point at the absolute node and cli paths.
 */
/** The file a client starts: this code is bundled into dist/main.js (or a chunk beside it), which dist/cli.js loads. */
function entryScript(): string {
  const here = fileURLToPath(import.meta.url);
  return /^(main|chunk-[A-Z0-9]{8})\.js$/.test(basename(here)) ? join(dirname(here), 'cli.js') : here;
}

export function serverEntry(cliPath = entryScript(), nodePath = process.execPath, platform = process.platform): ServerEntry {
  const fromNpxCache = cliPath.split(sep).includes('_npx');
  if (!fromNpxCache) return { command: nodePath, args: [cliPath] };
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'npx', '-y', 'suna-mcp@latest'] };
  // npx must find node: put this node's directory first on the PATH the GUI hands the server.
  return { command: join(dirname(nodePath), 'npx'), args: ['-y', 'suna-mcp@latest'], env: { PATH: `${dirname(nodePath)}:/usr/local/bin:/usr/bin:/bin` } };
}

/** The clients `setup` knows: where their config lives and how a server entry is shaped there. */
export const CLIENTS = {
  'claude-desktop': { file: () => claudeDesktopConfigPath(), key: 'mcpServers', typed: false, restart: 'restart Claude Desktop' },
  cursor: { file: () => join(homedir(), '.cursor', 'mcp.json'), key: 'mcpServers', typed: false, restart: 'reload Cursor' },
  vscode: { file: () => join(process.cwd(), '.vscode', 'mcp.json'), key: 'servers', typed: true, restart: 'VS Code picks it up on the next chat' },
} as const;
export type ClientName = keyof typeof CLIENTS;

/** Variables a GUI-launched server needs but never inherits from the shell that ran `setup` (the file is written 0600). */
export const PASSED_VARIABLES = ENVIRONMENT_VARIABLES.map((v) => v.name);

/** Our entry for one client: this installation, the server flags given to setup, and the variables above. */
export function entryFor(client: ClientName, serverArgs: string[], env: NodeJS.ProcessEnv = process.env, base: ServerEntry = serverEntry()): Record<string, unknown> {
  const vars: Record<string, string> = { ...(base.env ?? {}) };
  for (const name of PASSED_VARIABLES) if (env[name]) vars[name] = env[name]!;
  const entry: Record<string, unknown> = { command: base.command, args: [...base.args, ...serverArgs] };
  if (Object.keys(vars).length) entry.env = vars;
  return CLIENTS[client].typed ? { type: 'stdio', ...entry } : entry;
}

/** Merge our server into an existing config, keeping every other server and setting. */
export function mergeConfig(existing: string | undefined, name: string, entry: unknown, key: string = 'mcpServers'): string {
  let config: Record<string, unknown> = {};
  if (existing && existing.trim()) {
    try {
      config = JSON.parse(existing);
    } catch {
      throw new Error('the existing config is not valid JSON; fix or move it, then run setup again');
    }
    if (!config || typeof config !== 'object' || Array.isArray(config)) throw new Error('the existing config is not a JSON object; fix or move it, then run setup again');
  }
  const servers = config[key] && typeof config[key] === 'object' ? (config[key] as Record<string, unknown>) : {};
  config[key] = { ...servers, [name]: entry };
  return JSON.stringify(config, null, 2) + '\n';
}

/** Values of passed variables, masked for printing (the file itself gets the real values). */
function masked(entry: Record<string, unknown>): Record<string, unknown> {
  const env = entry.env as Record<string, string> | undefined;
  if (!env) return entry;
  const shown = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, /KEY|TOKEN/.test(k) ? `${v.slice(0, 4)}…(set)` : v]));
  return { ...entry, env: shown };
}

export interface SetupOptions {
  client: ClientName;
  write: boolean;
  name?: string;
  /** Config file to merge into (default: the client's usual place). */
  path?: string;
  /** Server flags to keep in the entry, e.g. ["--network", "none"]. */
  serverArgs?: string[];
  env?: NodeJS.ProcessEnv;
}

export async function setupClient(opts: SetupOptions): Promise<string> {
  const client = CLIENTS[opts.client];
  const path = opts.path ?? client.file();
  const name = opts.name ?? 'suna';
  const entry = entryFor(opts.client, opts.serverArgs ?? [], opts.env);
  if (!opts.write) return `# ${path}\n${JSON.stringify({ [client.key]: { [name]: masked(entry) } }, null, 2)}\n# run with --write to merge this into the file (other servers are kept)\n`;
  const merged = mergeConfig(existsSync(path) ? readFileSync(path, 'utf8') : undefined, name, entry, client.key);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.suna-${process.pid}.tmp`;
  await writeFile(tmp, merged, { mode: 0o600 });
  await rename(tmp, path);
  return `updated ${path}; ${client.restart} to load suna-mcp\n`;
}

export const SETUP_USAGE = `usage: suna-mcp setup <${Object.keys(CLIENTS).join('|')}> [--write] [--name <server name>] [--config-file <path>] [server flags…]`;

/**
 * \`suna-mcp setup <client> …\`: flags of its own are taken out; every other argument is a server flag kept in the
 * entry, checked by \`check\` (the server's own config parser) so a typo fails here, not in the client.
 */
export function parseSetupArgs(argv: string[], check: (serverArgs: string[]) => void): SetupOptions {
  const [client, ...rest] = argv;
  if (!client || !(client in CLIENTS)) throw new Error(SETUP_USAGE);
  const opts: SetupOptions = { client: client as ClientName, write: false, serverArgs: [] };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--write') opts.write = true;
    else if (a === '--name' || a === '--config-file') {
      const v = rest[++i];
      if (!v || v.startsWith('--')) throw new Error(`${a} needs a value; ${SETUP_USAGE}`);
      if (a === '--name') opts.name = v;
      else opts.path = v;
    } else opts.serverArgs!.push(a);
  }
  check(opts.serverArgs!);
  return opts;
}
