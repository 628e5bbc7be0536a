// The shape of the product source, checked on every run: no import cycle (across packages too), relative
// imports spelled the one way the build and tsconfig expect ('./x.js' for ./x.ts), no file over 450 lines.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../..');
const SOURCE_DIRS = ['shared/src', 'sandbox/src', 'sandbox/daemon', 'mcp-server/src', 'extension/src'];
const PACKAGES: Record<string, string> = { '@suna/shared': 'shared/src', '@suna/sandbox': 'sandbox/src' };
const MAX_LINES = 450;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

const FILES = SOURCE_DIRS.flatMap(sourceFiles);
const SPECIFIER = /(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/g;

function specifiers(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(SPECIFIER)].map((m) => (m[1] ?? m[2])!);
}

/** The source file a specifier names, or undefined for a library. */
function target(from: string, spec: string): string | undefined {
  let base: string;
  if (spec.startsWith('.')) base = join(dirname(from), spec);
  else {
    const pkg = Object.keys(PACKAGES).find((p) => spec === p || spec.startsWith(`${p}/`));
    if (!pkg) return undefined;
    base = spec === pkg ? join(PACKAGES[pkg]!, 'index') : join(PACKAGES[pkg]!, spec.slice(pkg.length + 1));
  }
  base = base.replace(/\.js$/, '');
  for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) if (existsSync(join(ROOT, candidate))) return candidate;
  return undefined;
}

describe('source shape', () => {
  it('has no import cycle, type-only imports included', () => {
    const graph = new Map(FILES.map((f) => [f, specifiers(f).map((s) => target(f, s)).filter((t): t is string => !!t)]));
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]) => {
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) {
        if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next].join(' → '));
        else if (!state.has(next)) visit(next, [...path, next]);
      }
      state.set(file, 'done');
    };
    for (const f of FILES) if (!state.has(f)) visit(f, [f]);
    assert.deepEqual(cycles, []);
  });

  it("spells relative imports './x.js' (what NodeNext and the bundlers resolve), never './x.ts'", () => {
    const wrong = FILES.flatMap((f) => specifiers(f).filter((s) => s.startsWith('.') && s.endsWith('.ts')).map((s) => `${f}: ${s}`));
    assert.deepEqual(wrong, []);
  });

  it(`keeps every source file within ${MAX_LINES} lines`, () => {
    const long = FILES.map((f) => [f, readFileSync(join(ROOT, f), 'utf8').split('\n').length] as const).filter(([, n]) => n > MAX_LINES);
    assert.deepEqual(long, []);
  });
});
