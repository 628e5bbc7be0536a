// Why: the server bundle's start depends on how it is built (esbuild-plugins.mjs): costly Node modules come through a
// stand-in that loads the module when first read — it must not load on import (esbuild's import helper copies its
// property names) and must then behave as the module itself; zod carries English only; comments are ASCII; and a
// module split into its own chunk (tar-stream, imported when an image is built) must still work from the bundle.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

interface Plugins {
  lazyBuiltin(name: string): string;
  LOADED_WHEN_USED: Set<string>;
}
const plugins = (await import(pathToFileURL(join(import.meta.dirname, '../../../esbuild-plugins.mjs')).href)) as Plugins;
const nodeRequire = createRequire(import.meta.url);

/** Evaluate a stand-in as the bundle does (a CommonJS module), counting the loads of the real module. */
function standIn(name: string): { exports: Record<string | symbol, unknown>; loads: () => number } {
  let loads = 0;
  const require = (id: string) => {
    loads++;
    return nodeRequire(id) as unknown;
  };
  const module = { exports: {} as Record<string | symbol, unknown> };
  new Function('module', 'exports', 'require', plugins.lazyBuiltin(name))(module, module.exports, require);
  return { exports: module.exports, loads: () => loads };
}

/** esbuild's __toESM (the helper every `import … from 'node:x'` in the bundle goes through). */
function toESM(mod: object): Record<string, unknown> {
  const target = Object.create(Object.getPrototypeOf(mod) as object) as Record<string, unknown>;
  Object.defineProperty(target, 'default', { value: mod, enumerable: true });
  for (const key of Object.getOwnPropertyNames(mod)) {
    if (key === 'default' || Object.prototype.hasOwnProperty.call(target, key)) continue;
    const desc = Object.getOwnPropertyDescriptor(mod, key);
    Object.defineProperty(target, key, { get: () => (mod as Record<string, unknown>)[key], enumerable: !desc || desc.enumerable });
  }
  return target;
}

describe('build: Node modules loaded when first used', () => {
  it('loads nothing when imported, loads once when a property is read', () => {
    const zlib = standIn('zlib');
    const ns = toESM(zlib.exports);
    assert.equal(zlib.loads(), 0);
    assert.ok('gunzipSync' in ns && 'constants' in ns);
    assert.equal(zlib.loads(), 0);
    assert.equal(ns.gunzipSync, nodeRequire('node:zlib').gunzipSync);
    assert.equal(zlib.loads(), 1);
    const gunzip = ns.gunzipSync as (b: Buffer) => Buffer;
    const gzip = (ns.default as { gzipSync(b: Buffer): Buffer }).gzipSync;
    assert.equal(gunzip(gzip(Buffer.from('hello'))).toString(), 'hello');
    assert.equal(zlib.loads(), 1);
  });

  it('is the module for what code does with it: same functions, promisify, classes, keys, `in`, default import', async () => {
    const crypto = toESM(standIn('crypto').exports);
    const real = nodeRequire('node:crypto') as typeof import('node:crypto');
    assert.equal(crypto.randomBytes, real.randomBytes);
    assert.equal((crypto.default as typeof real).createHash('sha256').update('x').digest('hex'), real.createHash('sha256').update('x').digest('hex'));
    const http = toESM(standIn('http').exports);
    assert.ok(new (http.Agent as new () => object)() instanceof (nodeRequire('node:http') as typeof import('node:http')).Agent);
    const zlib = standIn('zlib').exports as unknown as typeof import('node:zlib');
    assert.equal((await promisify(zlib.gunzip)(zlib.gzipSync('y'))).toString(), 'y');
    assert.deepEqual(Object.keys(zlib).sort(), Object.keys(nodeRequire('node:zlib') as object).sort());
    assert.ok('createServer' in standIn('http').exports);
    assert.equal(typeof crypto.webcrypto, 'object');
    assert.equal(typeof (toESM(standIn('fs/promises').exports).readFile as unknown), 'function');
  });

  it('covers only modules whose export is a plain object (a function module could not be stood in for)', () => {
    for (const name of plugins.LOADED_WHEN_USED) assert.equal(typeof nodeRequire(`node:${name}`), 'object', name);
    assert.throws(() => plugins.lazyBuiltin('events'), /not a plain object module/);
  });
});

describe('build: zod with English messages only', () => {
  it('keeps `en` in z.locales and the same English error messages, and leaves the other locales out', async () => {
    const esbuild = await import('esbuild');
    const { zodEnglishOnly } = (await import(pathToFileURL(join(import.meta.dirname, '../../../esbuild-plugins.mjs')).href)) as { zodEnglishOnly: import('esbuild').Plugin };
    const entry = `import { z } from 'zod';
      export const locales = Object.keys(z.locales);
      export const message = z.object({ n: z.number().min(3) }).strict().safeParse({ n: 1, x: 2 }).error.issues.map((i) => i.message);`;
    const built = await esbuild.build({ stdin: { contents: entry, resolveDir: import.meta.dirname, loader: 'js' }, bundle: true, format: 'esm', platform: 'node', write: false, plugins: [zodEnglishOnly] });
    const code = built.outputFiles[0]!.text;
    const out = (await import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`)) as { locales: string[]; message: string[] };
    assert.deepEqual(out.locales, ['en']);
    const { z } = await import('zod');
    assert.deepEqual(out.message, z.object({ n: z.number().min(3) }).strict().safeParse({ n: 1, x: 2 }).error!.issues.map((i) => i.message));
    assert.doesNotMatch(code, /zod\/v4\/locales\/de\.js/);
  });
});

describe('build: comments spelled in ASCII', () => {
  it('rewrites comment lines only, keeps every line of code as it was, and the file stays the same code', async () => {
    const { asciiComments } = (await import(pathToFileURL(join(import.meta.dirname, '../../../esbuild-plugins.mjs')).href)) as { asciiComments(files: string[]): void };
    const { mkdtempSync, readFileSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'ascii-comments-'));
    try {
      const file = join(dir, 'out.mjs');
      const code = ['/** relay → host — at most ≤ 5 */', 'export const a = "caf\\u00e9";', '  // wait… then go', '/**', ' * rows × columns', ' */', 'export const b = 1; // trailing → kept'].join('\n');
      writeFileSync(file, code);
      asciiComments([file]);
      const out = readFileSync(file, 'utf8').split('\n');
      assert.deepEqual(out.slice(0, 6), ['/** relay -> host -- at most <= 5 */', 'export const a = "caf\\u00e9";', '  // wait... then go', '/**', ' * rows x columns', ' */']);
      assert.equal(out[6], 'export const b = 1; // trailing → kept'); // a line of code is never touched
      const mod = (await import(pathToFileURL(file).href)) as { a: string; b: number };
      assert.deepEqual([mod.a, mod.b], ['café', 1]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('build: an image context from the split bundle', () => {
  it("packs the build context when tar-stream is a chunk of its own (a bundled import() of CommonJS has it under default)", async () => {
    const esbuild = await import('esbuild');
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'image-bundle-'));
    try {
      const assets = { daemon: '', egressRelay: '', checkpointStore: '', dockerfile: 'FROM scratch\n', setup: '#!/bin/sh\n', packages: 'rsync\n' };
      writeFileSync(join(dir, 'entry.ts'), `export { buildImage } from ${JSON.stringify(join(import.meta.dirname, '../../../sandbox/src/image.ts'))};`);
      await esbuild.build({ entryPoints: [join(dir, 'entry.ts')], bundle: true, splitting: true, format: 'esm', platform: 'node', outdir: join(dir, 'out'), external: ['dockerode'], banner: { js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);' }, define: { __SUNA_ASSETS__: JSON.stringify(assets) }, logLevel: 'silent' });
      const { buildImage } = (await import(pathToFileURL(join(dir, 'out', 'entry.js')).href)) as { buildImage: (...a: unknown[]) => Promise<void> };
      let bytes = 0;
      const docker = {
        buildImage: async (ctx: AsyncIterable<Buffer>) => {
          for await (const c of ctx) bytes += c.length;
          return {};
        },
        modem: { followProgress: (_s: unknown, done: (e: null, o: unknown[]) => void) => done(null, []) },
        getImage: () => ({ inspect: async () => ({}) }),
      };
      await buildImage(docker, 'suna-test:bundle', 'base', () => {});
      assert.ok(bytes >= 3 * 1024, `the build context was ${bytes} bytes`); // three entries and the end of the archive
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
