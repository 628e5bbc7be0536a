// The server the extension carries (extension/esbuild.mjs: the npm package's recipe, esbuild-server.mjs, with its
// dependencies inlined), run as the extension runs it: it answers, and the tools that need a file of their own beside
// it work. Its sheet tools failed with "Cannot find module …/sheets-worker.js" while it was one inlined file.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resultText, type ServerConnection } from '../../src/node/server-connection.ts';
import { startSandboxServer } from '../fixtures/sandbox-server.ts';

const EXTENSION_BUILD = fileURLToPath(new URL('../../esbuild.mjs', import.meta.url));
const BUNDLED_CLI = fileURLToPath(new URL('../../dist/server/cli.js', import.meta.url));

describe("the extension's bundled server (real sandbox)", function () {
  this.timeout(300_000);
  let conn: ServerConnection;

  before(() => {
    execFileSync(process.execPath, [EXTENSION_BUILD], { stdio: 'pipe' });
    conn = startSandboxServer(() => {}, undefined, BUNDLED_CLI);
  });
  after(async () => conn?.dispose());

  it('ships the sheet worker beside its entry, and a sheet tool round-trips through it', async () => {
    assert.ok(existsSync(new URL('./sheets-worker.js', `file://${BUNDLED_CLI}`)), 'sheets-worker.js beside cli.js');
    const created = await conn.callTool('sheet_create', { path: 'bundled.csv', overwrite: true, sheets: [{ name: 'data', columns: ['city', 'n'], rows: [['Oslo', 3], ['Lima', 5]] }] });
    assert.ok(!created.isError, resultText(created));
    const read = await conn.callTool('sheet_read', { path: 'bundled.csv' });
    assert.ok(!read.isError, resultText(read));
    assert.match(resultText(read), /Oslo[\s\S]*Lima/);
  });
});
