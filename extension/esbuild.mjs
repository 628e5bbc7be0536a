// Builds the extension: the host (dist/extension.cjs, CommonJS, `vscode` external), the webview script
// (dist/webview.js), the styles and codicons, and the suna-mcp server bundled with all its npm
// dependencies inlined (dist/server/cli.js), so the .vsix needs no node_modules.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, readFileSync, chmodSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const root = (p) => fileURLToPath(new URL(`../${p}`, import.meta.url));
const production = process.argv.includes('--production');
mkdirSync(here('dist/server'), { recursive: true });

const common = { bundle: true, logLevel: 'warning', sourcemap: production ? false : 'linked', minify: production, legalComments: 'none' };

await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: [here('src/vscode/extension.ts')],
    outfile: here('dist/extension.cjs'),
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['vscode'],
  }),
  esbuild.build({
    ...common,
    entryPoints: [here('src/webview/main.ts')],
    outfile: here('dist/webview.js'),
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
  }),
  buildServer(),
]);

cpSync(here('media/webview.css'), here('dist/webview.css'));
mkdirSync(here('dist/codicons'), { recursive: true });
for (const f of ['codicon.css', 'codicon.ttf']) cpSync(root(`node_modules/@vscode/codicons/dist/${f}`), here(`dist/codicons/${f}`));

/** The server as mcp-server's own build makes it (daemon and image context inline), minus `external`. */
async function buildServer() {
  // The in-sandbox programs: the daemon, the egress relay and the checkpoint store's program (as in esbuild.config.mjs).
  const sandboxProgram = (entry) =>
    esbuild.build({ entryPoints: [root(entry)], bundle: true, platform: 'node', target: 'node20', format: 'cjs', minify: true, write: false, outfile: 'program.cjs', logLevel: 'warning', loader: { '.py': 'text' } }).then((r) => r.outputFiles[0].text);
  const [egressRelay, checkpointStore] = await Promise.all([sandboxProgram('sandbox/egress/relay.ts'), sandboxProgram('sandbox/checkpoints/store-tool.ts')]);
  await esbuild.build({
    entryPoints: [root('sandbox/daemon/daemon.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    write: false,
    outfile: 'daemon.cjs',
    logLevel: 'warning',
    loader: { '.py': 'text' }, // the code interpreter's kernel driver rides inside the daemon (as in esbuild.config.mjs)
  }).then(async (daemon) => {
    const read = (p) => readFileSync(root(p), 'utf8');
    const assets = {
      daemon: daemon.outputFiles[0].text,
      egressRelay,
      checkpointStore,
      dockerfile: read('sandbox/image/Dockerfile'),
      setup: read('sandbox/image/setup.sh'),
      packages: read('sandbox/image/packages.txt'),
    };
    const serverPkg = JSON.parse(read('mcp-server/package.json'));
    await esbuild.build({
      entryPoints: [root('mcp-server/src/cli.ts')],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      outfile: here('dist/server/cli.js'),
      // playwright-core reads its own package files at run time: it ships beside the bundle (copied below).
      // cpu-features is an optional native speed-up that ssh2 loads inside a try.
      external: ['playwright-core', 'cpu-features', '*.node'],
      banner: {
        js: [
          '#!/usr/bin/env node',
          'import { createRequire as __sunaCreateRequire } from "node:module"; const require = __sunaCreateRequire(import.meta.url);',
          'import { fileURLToPath as __sunaToPath } from "node:url"; import { dirname as __sunaDirname } from "node:path";',
          'const __filename = __sunaToPath(import.meta.url); const __dirname = __sunaDirname(__filename);',
        ].join('\n'),
      },
      define: { __SUNA_ASSETS__: JSON.stringify(assets), __SUNA_VERSION__: JSON.stringify(serverPkg.version) },
      minify: production,
      legalComments: 'none',
      logLevel: 'warning',
    });
    chmodSync(here('dist/server/cli.js'), 0o755);
    // ESM next to a package.json of "type": "module" would be fine, but the .vsix has none there: say so.
    writeFileSync(here('dist/server/package.json'), JSON.stringify({ type: 'module', private: true }) + '\n');
    const pw = root('node_modules/playwright-core');
    cpSync(pw, here('dist/server/node_modules/playwright-core'), { recursive: true, dereference: true, filter: (src) => !/\.d\.ts$|\/types\//.test(src) });
  });
}
