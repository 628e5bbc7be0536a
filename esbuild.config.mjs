// Builds the `suna-mcp` npm package (mcp-server/dist: cli.js, main.js and its chunks, the sheet worker; the recipe
// is esbuild-server.mjs, shared with the VS Code extension's copy of the server) and the in-sandbox programs it
// carries inline (also written to sandbox/dist, where tests run them from source).
import { readFileSync } from 'node:fs';
import { buildServer, sandboxAssets } from './esbuild-server.mjs';

const serverPkg = JSON.parse(readFileSync(new URL('./mcp-server/package.json', import.meta.url), 'utf8'));
// The packages on the path to `initialize` are bundled inline: Node then compiles and links one file instead of ~350
// modules spread over node_modules (their resolution and linking was most of the start). The rest stays external and
// loads on first use. The SDK and zod go together (one zod instance for the SDK's schemas and ours).
const START_PATH_PACKAGES = ['@modelcontextprotocol/sdk', 'zod', 'diff', 'keyv', '@opentelemetry/api'];

await buildServer({
  outdir: 'mcp-server/dist',
  external: Object.keys(serverPkg.dependencies ?? {}).filter((d) => !START_PATH_PACKAGES.includes(d)),
  assets: await sandboxAssets('sandbox/dist'),
  version: serverPkg.version,
});
if (process.argv.includes('--watch')) console.error('watch mode is not supported; re-run the build');
