// The `suna-mcp` entry, small on purpose: it answers --version by itself, turns on Node's compile cache (the server
// bundle and its dependencies then start from cached bytecode instead of being compiled on every launch), and only
// then loads the server (main.ts). The cache lives in the user's own cache directory, never in a shared /tmp.
// A namespace import: an older Node without enableCompileCache gets the message below, not a SyntaxError at link time.
import * as nodeModule from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { VERSION } from './version.js';

const MIN_NODE_MAJOR = 22;
const args = process.argv.slice(2);
if (args.length === 1 && args[0] === '--version') {
  process.stdout.write(VERSION + '\n');
} else if (Number(process.versions.node.split('.')[0]) < MIN_NODE_MAJOR) {
  process.stderr.write(`suna-mcp needs Node.js ${MIN_NODE_MAJOR} or newer; this is ${process.version}. Install a current Node.js (https://nodejs.org) and run it again.\n`);
  process.exitCode = 1;
} else {
  const cacheRoot = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'suna-mcp', 'node-compile-cache');
  try {
    // One directory per release: an upgrade's new bundle names would otherwise pile up beside the old ones forever.
    nodeModule.enableCompileCache?.(join(cacheRoot, VERSION));
    setTimeout(() => void dropOtherReleases(cacheRoot), 30_000).unref();
  } catch {
    // An old Node or an unwritable cache directory: start without the cache.
  }
  await import('./main.js');
}

/** Remove the compile caches of other releases (and the unversioned one of older builds), long after start. */
async function dropOtherReleases(root: string): Promise<void> {
  const { readdir, rm } = await import('node:fs/promises');
  const names = await readdir(root).catch(() => [] as string[]);
  for (const name of names) if (name !== VERSION) await rm(join(root, name), { recursive: true, force: true }).catch(() => {});
}
