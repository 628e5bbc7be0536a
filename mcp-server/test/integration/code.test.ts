// code_run / code_reset through the real MCP SDK client, the built CLI and the real sandbox: a real ipykernel
// driven through jupyter_client. State, figures, tables, tracebacks, timeouts, a killed kernel, a memory blow-up.
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../fixtures/server.ts';

const images = (r: { result: { content: Array<{ type: string }> } }) => r.result.content.filter((c) => c.type === 'image') as Array<{ type: 'image'; data: string; mimeType: string }>;

describe('code interpreter (stdio, real sandbox)', function () {
  this.timeout(300_000);
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(async () => s?.close());

  it('lists code_run as not read-only, like shell_exec, and code_reset as destructive', async () => {
    const { tools } = await s.client.listTools();
    const run = tools.find((t) => t.name === 'code_run')!;
    const reset = tools.find((t) => t.name === 'code_reset')!;
    const shell = tools.find((t) => t.name === 'shell_exec')!;
    assert.deepEqual(run.annotations && { ...run.annotations, title: undefined }, shell.annotations && { ...shell.annotations, title: undefined });
    assert.equal(run.annotations?.readOnlyHint ?? false, false);
    assert.equal(reset.annotations?.destructiveHint, true);
  });

  it('keeps variables and imports between calls, and shows the last expression', async () => {
    const first = await s.ok('code_run', { code: 'import math\nx = 40\nprint("hello")' });
    assert.match(first.text, /ok/);
    assert.match(first.text, /stdout:\nhello/);
    const second = await s.ok('code_run', { code: 'x + math.floor(2.5)' });
    assert.match(second.text, /Out\[\d+\]:\n42/);
    assert.equal(second.structured?.result, '42');
  });

  it('returns a matplotlib figure as a PNG image the client can decode, saved under .suna/figures', async () => {
    const r = await s.ok('code_run', { code: 'import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.title("t")\nplt.show()' });
    const [img] = images(r);
    assert.ok(img, `no image in: ${r.text}`);
    assert.equal(img.mimeType, 'image/png');
    const png = Buffer.from(img.data, 'base64');
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.ok(png.readUInt32BE(16) > 100 && png.readUInt32BE(20) > 100);
    const [saved] = r.structured?.figures as string[];
    assert.match(saved!, /^\.suna\/figures\/figure-\d+-\d+\.png$/);
    const size = await s.ok('shell_exec', { command: `stat -c %s ${saved}` });
    assert.equal(Number(String(size.structured?.stdout).trim()), png.length);
  });

  it('shows a DataFrame as a compact text table with its shape', async () => {
    const r = await s.ok('code_run', { code: 'import pandas as pd\ndf = pd.DataFrame({"a": range(1000), "b": [i * 2 for i in range(1000)]})\ndf' });
    assert.match(r.text, /\[1000 rows x 2 columns\]/);
    assert.match(r.text, /\ba\s+b\b/);
    assert.match(r.text, /\.\.\./); // truncated in the middle
    assert.doesNotMatch(r.text, /<table|<td/);
    assert.ok(r.text.length < 5000, `table too long: ${r.text.length}`);
  });

  it('turns HTML outputs into text', async () => {
    const r = await s.ok('code_run', { code: 'from IPython.display import HTML, display\ndisplay(HTML("<h1>Title</h1><p>Hello <b>world</b></p><script>evil()</script>"))' });
    assert.match(r.text, /Title\nHello world/);
    assert.doesNotMatch(r.text, /<h1>|evil/);
  });

  it('reports an exception with a traceback that names the line of the user\'s code', async () => {
    const r = await s.call('code_run', { code: 'a = 1\nb = 0\nc = a / b\nprint(c)' });
    assert.equal(r.isError, true);
    assert.match(r.text, /error: ZeroDivisionError at line 3 of your code/);
    assert.match(r.text, /----> 3 c = a \/ b/);
    assert.match(r.text, /ZeroDivisionError: division by zero/);
    assert.deepEqual(r.structured?.error, { name: 'ZeroDivisionError', message: 'division by zero', line: 3 });
  });

  it('interrupts `while True: pass` at timeout_s, returns within 5 s and keeps earlier variables', async () => {
    await s.ok('code_run', { code: 'kept = "still here"' });
    const t0 = Date.now();
    const r = await s.call('code_run', { code: 'while True:\n    pass', timeout_s: 3 });
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < 5000, `took ${elapsed} ms`);
    assert.match(r.text, /timed out after 3 s: interrupted with KeyboardInterrupt; variables defined so far are kept/);
    assert.equal(r.structured?.status, 'timeout');
    const after = await s.ok('code_run', { code: 'kept' });
    assert.match(after.text, /'still here'/);
    assert.equal(after.structured?.kernel_restarted, false);
  });

  it('a cancelled call interrupts the kernel and keeps its state', async () => {
    await s.ok('code_run', { code: 'kept_after_cancel = 5' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 1500);
    await assert.rejects(s.call('code_run', { code: 'while True:\n    pass', timeout_s: 600 }, { signal: ac.signal }));
    const after = await s.ok('code_run', { code: 'kept_after_cancel' });
    assert.match(after.text, /Out\[\d+\]:\n5/);
    assert.doesNotMatch(after.text, /Note:/);
  });

  it('restarts a kernel killed from shell_exec and says so', async () => {
    await s.ok('code_run', { code: 'before_kill = 1' });
    // The kernel (started by our kernelspec as `python3 -c import …`), not the driver (`python3 -I -c …`).
    const killed = await s.ok('shell_exec', { command: "pkill -KILL -f '^/usr/bin/python3 -c import' && sleep 0.5 && ! pgrep -f '^/usr/bin/python3 -c import' && pgrep -f '^/usr/bin/python3 -I -c'" });
    assert.equal(killed.structured?.exit_code, 0, killed.text);
    const r = await s.ok('code_run', { code: '"before_kill" in globals()' });
    assert.match(r.text, /Note: the Python kernel had stopped since the last call .* and was restarted: variables, imports and open files from earlier calls are gone/);
    assert.match(r.text, /Out\[\d+\]:\nFalse/);
    assert.equal(r.structured?.kernel_restarted, true);
  });

  it('a 4 GB allocation ends the kernel, not the sandbox: the kernel restarts and shell_exec still works', async () => {
    await s.ok('code_run', { code: 'small = 7' });
    const r = await s.call('code_run', { code: 'big = b"x" * (4 * 1024 ** 3)', timeout_s: 120 });
    assert.match(r.text, /Note: the Python kernel (ran out of memory|died while running this code)/);
    assert.equal(r.structured?.kernel_restarted, true);
    const shell = await s.ok('shell_exec', { command: 'echo alive' });
    assert.match(shell.text, /alive/);
    const again = await s.ok('code_run', { code: '1 + 1' });
    assert.match(again.text, /Out\[\d+\]:\n2/);
  });

  it('code_reset discards the state', async () => {
    await s.ok('code_run', { code: 'gone_soon = 1' });
    const reset = await s.ok('code_reset', {});
    assert.match(reset.text, /stopped/);
    const r = await s.ok('code_run', { code: '"gone_soon" in globals()' });
    assert.match(r.text, /False/);
    assert.doesNotMatch(r.text, /Note:/);
  });
});
