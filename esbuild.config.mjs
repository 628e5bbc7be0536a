// Builds: the in-sandbox daemon and egress relay (one CJS file each), then the `suna-mcp` CLI (one ESM file with a
// shebang) that carries them and the image build context inline, and beside it the sheet worker (the thread that
// parses workbooks under memory and time limits; it must be a file of its own to be started as a Worker).
import * as esbuild from 'esbuild';
import { readFileSync, mkdirSync, chmodSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const read = (p) => readFileSync(new URL(p, import.meta.url), 'utf8');

await esbuild.build({
  entryPoints: ['sandbox/daemon/daemon.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  outfile: 'sandbox/dist/daemon.cjs',
  logLevel: 'warning',
});

// The egress relay: its own bundle, started by the host as a separate `docker exec` (sandbox/src/egress/broker.ts).
await esbuild.build({
  entryPoints: ['sandbox/egress/relay.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  outfile: 'sandbox/dist/egress-relay.cjs',
  logLevel: 'warning',
});

const assets = {
  daemon: read('./sandbox/dist/daemon.cjs'),
  egressRelay: read('./sandbox/dist/egress-relay.cjs'),
  dockerfile: read('./sandbox/image/Dockerfile'),
  setup: read('./sandbox/image/setup.sh'),
  packages: read('./sandbox/image/packages.txt'),
};

mkdirSync('mcp-server/dist', { recursive: true });
const serverPkg = JSON.parse(read('./mcp-server/package.json'));
await esbuild.build({
  entryPoints: ['mcp-server/src/cli.ts'],
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  outfile: 'mcp-server/dist/cli.js',
  // npm dependencies stay external (installed with the package); our workspaces are inlined.
  external: Object.keys(serverPkg.dependencies ?? {}),
  banner: { js: '#!/usr/bin/env node\nimport { createRequire as __sunaCreateRequire } from "node:module"; const require = __sunaCreateRequire(import.meta.url);' },
  define: { __SUNA_ASSETS__: JSON.stringify(assets), __SUNA_VERSION__: JSON.stringify(serverPkg.version) },
  sourcemap: 'linked',
  logLevel: 'warning',
});
chmodSync('mcp-server/dist/cli.js', 0o755);
await esbuild.build({
  entryPoints: ['mcp-server/src/sheets/worker.ts'],
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  outfile: 'mcp-server/dist/sheets-worker.js',
  external: Object.keys(serverPkg.dependencies ?? {}),
  banner: { js: 'import { createRequire as __sunaCreateRequire } from "node:module"; const require = __sunaCreateRequire(import.meta.url);' },
  sourcemap: 'linked',
  logLevel: 'warning',
});
if (watch) console.error('watch mode is not supported; re-run the build');
