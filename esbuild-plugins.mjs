// Why: the esbuild plugins (and one pass over the output) that shape the server bundle's start (esbuild.config.mjs uses them; a unit test,
// mcp-server/test/unit/build-plugins.test.ts, checks the stand-in a lazily loaded Node module becomes).
import { readFileSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// `import … from 'node:x'` in ESM builds that module's ESM facade, which reads every export at load: for node:http
// one of them is a lazy getter that loads Node's whole fetch stack (undici), ~90 ms of CPU at start, and every other
// facade costs a little. Node's own modules are imported through `require` instead (a CommonJS wrapper: no facade,
// lazy getters stay lazy, a named import is read when used).
export const builtinsThroughRequire = {
  name: 'node-builtins-through-require',
  setup(build) {
    const builtin = new RegExp(`^(node:)?(${builtinModules.map((m) => m.replace(/[/]/g, '\\/')).join('|')})$`);
    build.onResolve({ filter: builtin }, (args) => (args.kind === 'import-statement' ? { path: args.path.replace(/^node:/, ''), namespace: 'builtin-through-require' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'builtin-through-require' }, (args) => ({ contents: LOADED_WHEN_USED.has(args.path) ? lazyBuiltin(args.path) : `module.exports = require(${JSON.stringify('node:' + args.path)});`, loader: 'js' }));
  },
};
// Node modules that cost start CPU to load (~15 ms together here) and that nothing on the path to `initialize` calls:
// an import of one gives a stand-in that loads the module when a property is first read (esbuild copies an imported
// module's property names at load, which the stand-in answers from the names this Node had at build time). Only
// modules whose export is a plain object (a module that is a function or class — events, stream — stays eager).
export const LOADED_WHEN_USED = new Set(['crypto', 'zlib', 'http', 'https', 'http2', 'tls', 'dns', 'dns/promises', 'fs/promises', 'worker_threads', 'child_process', 'readline', 'v8', 'vm', 'perf_hooks', 'dgram']);
export const lazyBuiltin = (name) => {
  const id = JSON.stringify('node:' + name);
  const names = createRequire(import.meta.url)(`node:${name}`);
  if (typeof names !== 'object') throw new Error(`${name} is not a plain object module; it cannot be loaded when used`);
  return `const names = new Set(${JSON.stringify(Object.getOwnPropertyNames(names))});
let real;
const load = () => (real ??= require(${id}));
module.exports = new Proxy({}, {
  get: (_, k) => load()[k],
  set: (_, k, v) => { load()[k] = v; return true; },
  has: (_, k) => k in load(),
  deleteProperty: (_, k) => delete load()[k],
  defineProperty: (_, k, d) => Reflect.defineProperty(load(), k, d),
  ownKeys: () => (real ? Reflect.ownKeys(real) : [...names]),
  getOwnPropertyDescriptor: (_, k) => {
    if (!real && names.has(k)) return { configurable: true, enumerable: true, get: () => load()[k] };
    const d = Reflect.getOwnPropertyDescriptor(load(), k);
    return d && { ...d, configurable: true };
  },
});
`;
};
// The SDK's server imports its Ajv validator at load and builds one per Server (~30 ms of start for elicitation
// answers this server never asks for): its import is pointed at our class of the same name that loads Ajv on first
// use (mcp-server/src/lazy-json-schema-validator.ts). Only the server's import; the client half keeps the SDK's.
export const lazySdkAjv = {
  name: 'lazy-sdk-ajv',
  setup(build) {
    const lazy = new URL('./mcp-server/src/lazy-json-schema-validator.ts', import.meta.url).pathname;
    // The lazy class's own `require` of the SDK's validator stays a runtime require of the installed package: bundled,
    // Ajv (~270 KB) would ride in the start chunk even though it is evaluated only on first use.
    build.onResolve({ filter: /^@modelcontextprotocol\/sdk\/validation\/ajv$/ }, (args) => (args.importer === lazy ? { path: args.path, external: true } : undefined));
    build.onResolve({ filter: /^\.\.\/validation\/ajv-provider\.js$/ }, (args) =>
      /[\\/]@modelcontextprotocol[\\/]sdk[\\/]dist[\\/]esm[\\/]server[\\/]index\.js$/.test(args.importer) ? { path: lazy } : undefined,
    );
  },
};
// zod's namespace carries every locale's error messages (~370 KB of the ~810 KB on the path to `initialize`, read
// and deserialised at every start); this server uses only English, zod's default. `z.locales` and `core.locales`
// keep `en` alone.
export const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic|core)[\\/][^\\/]+\.js$/.test(args.importer) ? { path: join(dirname(args.importer), '../locales/en.js'), namespace: 'zod-english-only' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({ contents: `export { default as en } from ${JSON.stringify(args.path)};`, loader: 'js', resolveDir: dirname(args.path) }));
  },
};

// A source file with a single non-ASCII character is read, hashed and held as a two-byte string, and V8 scans it
// more slowly: ~15 ms of a start here. esbuild writes strings and identifiers as ASCII escapes, but keeps comments
// as they are (→, —, ≤ in ours and zod's). This spells such comment lines in ASCII (a line of code is never
// touched; one left non-ASCII is reported).
const ASCII_SPELLING = { '→': '->', '←': '<-', '—': '--', '–': '-', '…': '...', '≤': '<=', '≥': '>=', '×': 'x', '‘': "'", '’': "'", '“': '"', '”': '"' };
/** `files` spelled in ASCII where it is a comment; a non-ASCII code line is reported where `onStartPath(file)` says it matters. */
export function asciiComments(files, onStartPath = () => true) {
  const left = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    if (!/[^\x00-\x7f]/.test(text)) continue;
    const lines = text.split('\n').map((line) => {
      if (!/[^\x00-\x7f]/.test(line)) return line;
      if (!/^\s*(\/\/|\/\*|\*)/.test(line)) return onStartPath(file) && left.push(`${file}: ${line.trim().slice(0, 80)}`), line;
      return line.replace(/[^\x00-\x7f]/gu, (c) => ASCII_SPELLING[c] ?? '?');
    });
    writeFileSync(file, lines.join('\n'));
  }
  if (left.length) console.warn(`non-ASCII outside comment lines (these files load as two-byte strings):\n  ${left.join('\n  ')}`);
}
