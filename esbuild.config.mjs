// Builds: the in-sandbox daemon and egress relay (one CJS file each), then the `suna-mcp` server (main.js, one ESM
// file that carries them and the image build context inline) with its small entry (cli.js, with the shebang), and
// beside them the sheet worker (the thread that parses workbooks under memory and time limits; it must be a file of
// its own to be started as a Worker).
import * as esbuild from 'esbuild';
import { readFileSync, readdirSync, rmSync, mkdirSync, chmodSync } from 'node:fs';
import { asciiComments, builtinsThroughRequire, lazySdkAjv, zodEnglishOnly } from './esbuild-plugins.mjs';

const watch = process.argv.includes('--watch');
const read = (p) => readFileSync(new URL(p, import.meta.url), 'utf8');

/** An in-sandbox program: one minified CJS file, run there by `node -e` (the daemon) or from the bundle (the relay). */
const sandboxBundle = (entry, outfile) =>
  esbuild.build({ entryPoints: [entry], bundle: true, platform: 'node', target: 'node20', format: 'cjs', minify: true, outfile, logLevel: 'warning', loader: { '.py': 'text' } });

await sandboxBundle('sandbox/daemon/daemon.ts', 'sandbox/dist/daemon.cjs');
// The egress relay: its own bundle, started by the host as a separate `docker exec` (sandbox/src/egress/broker.ts).
await sandboxBundle('sandbox/egress/relay.ts', 'sandbox/dist/egress-relay.cjs');
// The checkpoint store's program, run by `docker exec` in the store sidecars (sandbox/src/checkpoints.ts).
await sandboxBundle('sandbox/checkpoints/store-tool.ts', 'sandbox/dist/checkpoint-store.cjs');

const assets = {
  daemon: read('./sandbox/dist/daemon.cjs'),
  egressRelay: read('./sandbox/dist/egress-relay.cjs'),
  checkpointStore: read('./sandbox/dist/checkpoint-store.cjs'),
  dockerfile: read('./sandbox/image/Dockerfile'),
  setup: read('./sandbox/image/setup.sh'),
  packages: read('./sandbox/image/packages.txt'),
};

mkdirSync('mcp-server/dist', { recursive: true });
const serverPkg = JSON.parse(read('./mcp-server/package.json'));
// The packages on the path to `initialize` are bundled inline: Node then compiles and links one file instead of ~350
// modules spread over node_modules (their resolution and linking was most of the start). The rest stays external and
// loads on first use. The SDK and zod go together (one zod instance for the SDK's schemas and ours).
const START_PATH_PACKAGES = ['@modelcontextprotocol/sdk', 'zod', 'diff', 'keyv', '@opentelemetry/api'];
const requireShim = 'import { createRequire as __sunaCreateRequire } from "node:module"; const require = __sunaCreateRequire(import.meta.url);';
/** A host-side ESM file of the package; npm dependencies stay external (installed with it), our workspaces inline. */
const serverBundle = (entry, outfile, extra = {}) =>
  esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    outfile,
    external: Object.keys(serverPkg.dependencies ?? {}).filter((d) => !START_PATH_PACKAGES.includes(d)),
    banner: { js: requireShim },
    sourcemap: 'linked',
    logLevel: 'warning',
    plugins: [builtinsThroughRequire],
    ...extra,
  });

// main.js is split at its dynamic imports (model SDKs, the HTTP transport, the MCP client half, …): what a stdio
// start needs is one file, the rest are chunk files beside it, read when first imported (start: less to read and
// hash; memory: their source is not held). Chunks stay in dist/ itself, so `import.meta.url`-relative paths
// (the sheet worker, `setup`'s entry) hold in every chunk. Chunks of an earlier build are removed first.
for (const f of readdirSync('mcp-server/dist')) if (/^[\w.]+-[A-Z0-9]{8}\.js(\.map)?$/.test(f)) rmSync(`mcp-server/dist/${f}`);
await serverBundle('mcp-server/src/main.ts', undefined, {
  outdir: 'mcp-server/dist',
  splitting: true,
  plugins: [builtinsThroughRequire, lazySdkAjv, zodEnglishOnly],
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  define: { __SUNA_ASSETS__: JSON.stringify(assets), __SUNA_VERSION__: JSON.stringify(serverPkg.version) },
});
// The entry: a few lines that enable Node's compile cache before main.js (kept a separate file) is loaded.
await serverBundle('mcp-server/src/cli.ts', 'mcp-server/dist/cli.js', {
  banner: { js: '#!/usr/bin/env node' },
  plugins: [], // it has no `require` (its banner is the shebang), and it imports only node:module, os and path
  external: ['./main.js'],
  define: { __SUNA_VERSION__: JSON.stringify(serverPkg.version) },
});
chmodSync('mcp-server/dist/cli.js', 0o755);
await serverBundle('mcp-server/src/sheets/worker.ts', 'mcp-server/dist/sheets-worker.js');
asciiComments(readdirSync('mcp-server/dist').filter((f) => f.endsWith('.js')).map((f) => `mcp-server/dist/${f}`));
if (watch) console.error('watch mode is not supported; re-run the build');
