// Builds the extension: the host (dist/extension.cjs, CommonJS, `vscode` external), the webview script
// (dist/webview.js), the styles and codicons, and the suna-mcp server bundled with all its npm
// dependencies inlined (dist/server/cli.js), so the .vsix needs no node_modules.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildServer as buildServerFiles, sandboxAssets } from '../esbuild-server.mjs';

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

/** The server as the npm package has it (esbuild-server.mjs: cli.js, main.js and chunks, the sheet worker), with
 * its npm dependencies inlined but playwright-core (it reads its own package files at run time: copied beside it) and
 * cpu-features (an optional native speed-up that ssh2 loads inside a try). */
async function buildServer() {
  const serverPkg = JSON.parse(readFileSync(root('mcp-server/package.json'), 'utf8'));
  const outdir = here('dist/server');
  await buildServerFiles({
    outdir,
    external: ['playwright-core', 'cpu-features', '*.node'],
    assets: await sandboxAssets(),
    version: serverPkg.version,
    sourcemap: production ? false : 'linked',
    minify: production,
    inlinesCommonJs: true,
  });
  // ESM next to a package.json of "type": "module" would be fine, but the .vsix has none there: say so.
  writeFileSync(join(outdir, 'package.json'), JSON.stringify({ type: 'module', private: true }) + '\n');
  cpSync(root('node_modules/playwright-core'), join(outdir, 'node_modules/playwright-core'), { recursive: true, dereference: true, filter: (src) => !/\.d\.ts$|\/types\//.test(src) });
}
