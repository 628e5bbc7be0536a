// `suna-mcp setup claude-desktop [--write]`: print (or merge into) Claude Desktop's config for this OS.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

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
export function serverEntry(cliPath = fileURLToPath(import.meta.url), nodePath = process.execPath, platform = process.platform): ServerEntry {
  const fromNpxCache = cliPath.split(sep).includes('_npx');
  if (!fromNpxCache) return { command: nodePath, args: [cliPath] };
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'npx', '-y', 'suna-mcp@latest'] };
  // npx must find node: put this node's directory first on the PATH the GUI hands the server.
  return { command: join(dirname(nodePath), 'npx'), args: ['-y', 'suna-mcp@latest'], env: { PATH: `${dirname(nodePath)}:/usr/local/bin:/usr/bin:/bin` } };
}

/** Merge our server into an existing config, keeping every other server and setting. */
export function mergeConfig(existing: string | undefined, name: string, entry: ServerEntry): string {
  let config: { mcpServers?: Record<string, unknown> } & Record<string, unknown> = {};
  if (existing && existing.trim()) {
    try {
      config = JSON.parse(existing);
    } catch {
      throw new Error('the existing Claude Desktop config is not valid JSON; fix or move it, then run setup again');
    }
  }
  config.mcpServers = { ...(config.mcpServers ?? {}), [name]: entry };
  return JSON.stringify(config, null, 2) + '\n';
}

export async function setupClaudeDesktop(opts: { write: boolean; name?: string; path?: string }): Promise<string> {
  const path = opts.path ?? claudeDesktopConfigPath();
  const entry = serverEntry();
  const merged = mergeConfig(existsSync(path) ? readFileSync(path, 'utf8') : undefined, opts.name ?? 'suna', entry);
  if (!opts.write) return `# ${path}\n${JSON.stringify({ mcpServers: { [opts.name ?? 'suna']: entry } }, null, 2)}\n# run with --write to merge this into the file (other servers are kept)\n`;
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.suna-${process.pid}.tmp`;
  await writeFile(tmp, merged, { mode: 0o600 });
  await rename(tmp, path);
  return `updated ${path}; restart Claude Desktop to load suna-mcp\n`;
}
