// shell_output's two ways of reading, through the real MCP client, server and sandbox: a read at an explicit
// offset (the VS Code panel following a background process for its card) leaves the default cursor where the
// model's own reads left it, so the panel never eats output the model has not seen.
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../fixtures/server.ts';

describe('shell_output cursors (real sandbox)', function () {
  this.timeout(300_000);
  let s: TestServer;
  before(async () => (s = await startServer()));
  after(async () => s?.close());

  it('a read at an explicit offset does not move the cursor of reads without one', async () => {
    const id = String((await s.ok('shell_start', { command: 'printf "one\\ntwo\\n"; sleep 60', name: 'printer' })).structured?.process_id);
    // The panel's read: from 0, with the whole output so far.
    let peek = '';
    for (let i = 0; i < 20 && !peek.includes('two'); i++) peek = String((await s.ok('shell_output', { process_id: id, offset: 0, wait_s: 1 })).structured?.output ?? '');
    assert.equal(peek, 'one\ntwo\n');
    // The model's first read without an offset still starts at the beginning.
    const first = await s.ok('shell_output', { process_id: id });
    assert.equal(first.structured?.output, 'one\ntwo\n');
    // …and its next one continues after it.
    assert.equal((await s.ok('shell_output', { process_id: id })).structured?.output, '');
    await s.ok('shell_kill', { process_id: id, signal: 'SIGKILL' });
  });
});
