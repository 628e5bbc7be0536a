// Shell and file tools through the real MCP SDK client, the built CLI and the real Docker Engine.
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../fixtures/server.ts';

describe('shell and file tools (stdio, real sandbox)', function () {
  this.timeout(180_000);
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(async () => s?.close());

  it('lists every tool with annotations derived from its kind', async () => {
    const { tools } = await s.client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const name of ['shell_exec', 'shell_start', 'shell_output', 'shell_input', 'shell_kill', 'shell_list', 'file_read', 'file_write', 'file_edit', 'file_list', 'file_search', 'file_delete', 'file_move', 'sandbox_status', 'sandbox_reset'])
      assert.ok(byName.has(name), `missing ${name}`);
    assert.equal(byName.get('file_read')!.annotations?.readOnlyHint, true);
    assert.equal(byName.get('file_delete')!.annotations?.destructiveHint, true);
    assert.equal(byName.get('sandbox_reset')!.annotations?.destructiveHint, true);
    assert.equal(byName.get('file_write')!.annotations?.readOnlyHint ?? false, false); // left out when false (the default)
    assert.equal(byName.get('file_write')!.annotations?.destructiveHint, false);
    assert.equal(byName.get('shell_exec')!.annotations?.openWorldHint, true);
  });

  it('refuses unknown arguments by name instead of dropping them, and says so in the schema', async () => {
    const r = await s.call('file_read', { path: 'x.txt', lines: 10 });
    assert.equal(r.isError, true);
    assert.match(r.text, /Unrecognized key: "lines"/);
    const { tools } = await s.client.listTools();
    assert.equal((tools.find((t) => t.name === 'file_read')!.inputSchema as { additionalProperties?: boolean }).additionalProperties, false);
  });

  it('runs a Python script written with file_write', async () => {
    await s.ok('file_write', { path: 'hello/app.py', content: 'import sys\nprint("sum", sum(range(10)))\nprint("warn", file=sys.stderr)\nsys.exit(3)\n' });
    const r = await s.call('shell_exec', { command: 'python3 hello/app.py' });
    assert.equal(r.isError, false);
    assert.equal(r.structured?.exit_code, 3);
    assert.match(String(r.structured?.stdout), /sum 45/);
    assert.match(String(r.structured?.stderr), /warn/);
    assert.match(r.text, /exit code 3/);
  });

  it('file_read pages by lines and reports the total', async () => {
    const content = Array.from({ length: 50 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
    await s.ok('file_write', { path: 'lines.txt', content });
    const r = await s.ok('file_read', { path: 'lines.txt', offset: 10, limit: 5 });
    assert.match(r.text, /lines 10–14 of 50; continue with offset 15/);
    assert.match(r.text, /line 10\nline 11\nline 12\nline 13\nline 14$/);
  });

  it('file_edit returns a unified diff and applies all edits', async () => {
    await s.ok('file_write', { path: 'edit.py', content: 'a = 1\nb = 2\nc = 3\n' });
    const r = await s.ok('file_edit', { path: 'edit.py', edits: [{ old_text: 'b = 2', new_text: 'b = 20' }, { old_text: 'c = 3\n', new_text: 'c = 30\nd = 4\n' }] });
    assert.match(r.text, /^-b = 2$/m);
    assert.match(r.text, /^\+b = 20$/m);
    assert.match(r.text, /^\+d = 4$/m);
    const after = await s.ok('shell_exec', { command: 'cat edit.py' });
    assert.equal(after.structured?.stdout, 'a = 1\nb = 20\nc = 30\nd = 4\n');
  });

  it('file_edit refuses an old_text that matches twice and leaves the file untouched', async () => {
    await s.ok('file_write', { path: 'twice.txt', content: 'x = 1\nx = 1\ny = 2\n' });
    const r = await s.call('file_edit', { path: 'twice.txt', edits: [{ old_text: 'y = 2', new_text: 'y = 3' }, { old_text: 'x = 1', new_text: 'x = 9' }] });
    assert.equal(r.isError, true);
    assert.match(r.text, /matches 2 places/);
    const after = await s.ok('shell_exec', { command: 'cat twice.txt' });
    assert.equal(after.structured?.stdout, 'x = 1\nx = 1\ny = 2\n');
  });

  it('file_edit dry_run shows the diff without writing', async () => {
    await s.ok('file_write', { path: 'dry.txt', content: 'one\n' });
    const r = await s.ok('file_edit', { path: 'dry.txt', edits: [{ old_text: 'one', new_text: 'two' }], dry_run: true });
    assert.match(r.text, /dry run/);
    assert.match(r.text, /^\+two$/m);
    assert.equal((await s.ok('shell_exec', { command: 'cat dry.txt' })).structured?.stdout, 'one\n');
  });

  it('file_list respects .gitignore and marks directories', async () => {
    await s.ok('shell_exec', { command: 'mkdir -p proj/src/build proj/node_modules/x proj/build && touch proj/src/build/z.js && printf "node_modules/\\n*.log\\n" > proj/.gitignore && touch proj/src/a.ts proj/app.log proj/node_modules/x/i.js proj/build/out.js && printf "build/\\n" > proj/src/.gitignore' });
    const r = await s.ok('file_list', { path: 'proj', depth: 3 });
    assert.match(r.text, /^src\/$/m);
    assert.match(r.text, /a\.ts/);
    assert.match(r.text, /build\//); // the nested .gitignore in src/ does not apply to proj/build
    assert.doesNotMatch(r.text, /node_modules|app\.log|z\.js/);
  });

  it('file_search finds matches with ripgrep and treats the pattern as data', async () => {
    await s.ok('file_write', { path: 'search/one.py', content: 'def needle():\n    return 42\n' });
    await s.ok('file_write', { path: 'search/two.txt', content: 'no match here\n' });
    const r = await s.ok('file_search', { pattern: 'def needle', path: 'search' });
    assert.match(r.text, /search\/one\.py:1:def needle/);
    const inj = await s.ok('file_search', { pattern: '$(touch /workspace/pwned)', path: 'search', fixed_strings: true });
    assert.match(inj.text, /no matches/);
    const check = await s.ok('shell_exec', { command: 'test -e /workspace/pwned && echo yes || echo no' });
    assert.equal(check.structured?.stdout, 'no\n');
  });

  it('file_move and file_delete work and refuse to clobber or delete non-empty dirs by default', async () => {
    await s.ok('file_write', { path: 'mv/a.txt', content: 'A' });
    await s.ok('file_write', { path: 'mv/b.txt', content: 'B' });
    assert.equal((await s.call('file_move', { from: 'mv/a.txt', to: 'mv/b.txt' })).isError, true);
    await s.ok('file_move', { from: 'mv/a.txt', to: 'mv/c.txt' });
    assert.equal((await s.call('file_delete', { path: 'mv' })).isError, true);
    await s.ok('file_delete', { path: 'mv', recursive: true });
    const r = await s.ok('shell_exec', { command: 'ls mv 2>&1 || true' });
    assert.match(String(r.structured?.stdout), /No such file/);
  });

  it('a background process is read with shell_output waiting, without busy polling', async () => {
    const start = await s.ok('shell_start', { command: 'for i in 1 2 3; do echo tick $i; sleep 0.4; done; echo done', name: 'ticker' });
    const id = String(start.structured?.process_id);
    let output = '';
    let running = true;
    let calls = 0;
    while (running && calls < 20) {
      const r = await s.ok('shell_output', { process_id: id, wait_s: 5 });
      output += String(r.structured?.output);
      running = r.structured?.running === true;
      calls++;
    }
    assert.equal(running, false);
    assert.match(output, /tick 1\ntick 2\ntick 3\ndone\n/);
    assert.ok(calls <= 6, `expected waiting reads, got ${calls} calls`);
    const list = await s.ok('shell_list');
    assert.match(list.text, new RegExp(`${id}\\s+exited 0\\s+ticker`));
  });

  it('shell_input feeds a background process and shell_kill stops it', async () => {
    const start = await s.ok('shell_start', { command: 'while read line; do echo "got:$line"; done' });
    const id = String(start.structured?.process_id);
    await s.ok('shell_input', { process_id: id, text: 'hello\n' });
    const r = await s.ok('shell_output', { process_id: id, wait_s: 5 });
    assert.match(String(r.structured?.output), /got:hello/);
    await s.ok('shell_kill', { process_id: id });
    const after = await s.ok('shell_output', { process_id: id, wait_s: 5 });
    assert.equal(after.structured?.running, false);
  });

  it('a timeout kills the whole process group, including a child that ignores SIGTERM', async () => {
    const t0 = Date.now();
    const r = await s.call('shell_exec', { command: 'bash -c \'trap "" TERM; sleep 300\' & echo $! > /tmp/child.pid; sleep 300', timeout_s: 1 });
    assert.equal(r.structured?.timed_out, true);
    assert.match(r.text, /timed out/);
    assert.ok(Date.now() - t0 < 6000);
    const check = await s.ok('shell_exec', { command: 'kill -0 $(cat /tmp/child.pid) 2>/dev/null && echo alive || echo gone' });
    assert.equal(check.structured?.stdout, 'gone\n');
  });

  it('cancelling a long shell_exec through the SDK AbortSignal stops it in under a second', async () => {
    const ac = new AbortController();
    const call = s.call('shell_exec', { command: 'echo $$ > /tmp/long.pid; sleep 300', timeout_s: 600 }, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 1500));
    const t0 = Date.now();
    ac.abort();
    await assert.rejects(call);
    // The sandbox process is gone promptly, not just the client's wait.
    let gone = false;
    while (Date.now() - t0 < 3000 && !gone) {
      const r = await s.ok('shell_exec', { command: 'kill -0 $(cat /tmp/long.pid) 2>/dev/null && echo alive || echo gone' });
      gone = r.structured?.stdout === 'gone\n';
    }
    assert.ok(gone, 'the cancelled command is still running');
    assert.ok(Date.now() - t0 < 1000 + 500, `took ${Date.now() - t0} ms`); // < 1 s plus one status round trip
  });

  it('sandbox_status reports image, limits, profile and daemon', async () => {
    const r = await s.ok('sandbox_status');
    assert.match(r.text, /running/);
    assert.match(r.text, /profile default/);
    assert.match(r.text, /daemon connected/);
    assert.equal((r.structured?.limits as { memoryMb: number }).memoryMb, 2048);
  });

  it('pip installs into the writable home without root', async () => {
    const r = await s.call('shell_exec', { command: 'python3 -m venv ~/venv && ~/venv/bin/python -c "import sys; print(sys.prefix)" && mkdir -p ~/.npm-global && echo ok', timeout_s: 120 });
    assert.equal(r.structured?.exit_code, 0, r.text);
    assert.match(String(r.structured?.stdout), /\/home\/user\/venv\nok/);
  });
});
