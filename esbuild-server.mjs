// Why: one recipe for the suna-mcp server's files, so the npm package (esbuild.config.mjs) and the server the VS Code
// extension carries (extension/esbuild.mjs) start the same way — cli.js turns on Node's compile cache, then main.js,
// split at its dynamic imports, loads only what a start needs — and ship the same files (the sheet worker beside
// them). They differ only in what stays outside: the package's npm dependencies are installed with it; the
// extension inlines them (its .vsix has no node_modules but playwright-core's).
import * as esbuild from 'esbuild';
import { chmodSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asciiComments, builtinsThroughRequire, lazySdkAjv, zodEnglishOnly } from './esbuild-plugins.mjs';

const root = (p) => fileURLToPath(new URL(p, import.meta.url));
const read = (p) => readFileSync(root(p), 'utf8');

/** An in-sandbox program: one minified CJS file, run there by `node -e` (the daemon) or by `docker exec` (the others). */
async function sandboxProgram(entry, outfile) {
  const r = await esbuild.build({ entryPoints: [root(entry)], bundle: true, platform: 'node', target: 'node20', format: 'cjs', minify: true, outfile, write: false, logLevel: 'warning', loader: { '.py': 'text' } });
  return r.outputFiles[0].text;
}

/**
 * What the server carries inline (__SUNA_ASSETS__): the daemon, the egress relay (its own `docker exec`,
 * sandbox/src/egress/broker.ts), the checkpoint store's program (sandbox/src/checkpoints.ts) and the image's build
 * context. With `writeTo`, the programs are also written there (sandbox/dist: tests run the daemon from source).
 */
export async function sandboxAssets(writeTo) {
  const names = { daemon: 'sandbox/daemon/daemon.ts', egressRelay: 'sandbox/egress/relay.ts', checkpointStore: 'sandbox/checkpoints/store-tool.ts' };
  const files = { daemon: 'daemon.cjs', egressRelay: 'egress-relay.cjs', checkpointStore: 'checkpoint-store.cjs' };
  const programs = Object.fromEntries(await Promise.all(Object.entries(names).map(async ([k, entry]) => [k, await sandboxProgram(entry, files[k])])));
  if (writeTo) {
    mkdirSync(root(writeTo), { recursive: true });
    for (const [k, text] of Object.entries(programs)) writeFileSync(root(`${writeTo}/${files[k]}`), text);
  }
  return { ...programs, dockerfile: read('sandbox/image/Dockerfile'), setup: read('sandbox/image/setup.sh'), packages: read('sandbox/image/packages.txt') };
}

const REQUIRE_SHIM = 'import { createRequire as __sunaCreateRequire } from "node:module"; const require = __sunaCreateRequire(import.meta.url);';
/** For CommonJS packages inlined into ESM files (the extension's server): the names they expect of a module. */
const CJS_NAMES_SHIM = 'import { fileURLToPath as __sunaToPath } from "node:url"; import { dirname as __sunaDirname } from "node:path"; const __filename = __sunaToPath(import.meta.url); const __dirname = __sunaDirname(__filename);';

/**
 * The server's files in `outdir`: cli.js (the entry, with its shebang), main.js and the chunks it imports when first
 * needed, sheets-worker.js (a Worker must be a file of its own). `external`: what stays in node_modules.
 * `inlinesCommonJs`: CommonJS packages are bundled, so every file gets __filename/__dirname.
 */
export async function buildServer({ outdir, external, assets, version, sourcemap = 'linked', minify = false, inlinesCommonJs = false }) {
  mkdirSync(outdir, { recursive: true });
  // Chunks of an earlier build go first (their names are content hashes).
  for (const f of readdirSync(outdir)) if (/^chunk-[A-Z0-9]{8}\.js(\.map)?$/.test(f)) rmSync(join(outdir, f));
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    external,
    banner: { js: inlinesCommonJs ? `${REQUIRE_SHIM}\n${CJS_NAMES_SHIM}` : REQUIRE_SHIM },
    sourcemap,
    minify,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [builtinsThroughRequire],
  };
  const versionOnly = { __SUNA_VERSION__: JSON.stringify(version) };
  await Promise.all([
    // main.js is split at its dynamic imports (model SDKs, the HTTP transport, the MCP client half, …): a stdio start
    // reads one file; the rest are chunks beside it, read when first imported. Chunks stay in outdir itself, so
    // `import.meta.url`-relative paths (the sheet worker, `setup`'s entry) hold in every chunk.
    esbuild.build({
      ...common,
      entryPoints: { main: root('mcp-server/src/main.ts') },
      outdir,
      splitting: true,
      chunkNames: 'chunk-[hash]',
      plugins: [builtinsThroughRequire, lazySdkAjv, zodEnglishOnly],
      define: { __SUNA_ASSETS__: JSON.stringify(assets), ...versionOnly },
    }),
    // The entry: a few lines that enable Node's compile cache before main.js (kept a separate file) is loaded. It has
    // no `require` (its banner is the shebang) and imports only node:module, os and path.
    esbuild.build({ ...common, entryPoints: [root('mcp-server/src/cli.ts')], outfile: join(outdir, 'cli.js'), banner: { js: '#!/usr/bin/env node' }, plugins: [], external: ['./main.js'], define: versionOnly }),
    esbuild.build({ ...common, entryPoints: [root('mcp-server/src/sheets/worker.ts')], outfile: join(outdir, 'sheets-worker.js') }),
  ]);
  chmodSync(join(outdir, 'cli.js'), 0o755);
  // Only what a start reads is worth a report (a chunk loaded later may keep a non-ASCII code line).
  const startFiles = new Set(['cli.js', 'main.js'].map((f) => join(outdir, f)));
  asciiComments(readdirSync(outdir).filter((f) => f.endsWith('.js')).map((f) => join(outdir, f)), (f) => startFiles.has(f));
}
