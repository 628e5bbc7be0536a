// Attacks on the code interpreter from the code it runs (issue 17). Code in the kernel knows the kernel's HMAC key,
// so it can send the driver any Jupyter message (forged images, floods of outputs, giant tracebacks); it can kill the
// driver or plant Python hooks for it. It cannot reach the driver's answer channel (a socket pair of the daemon's,
// not a pipe it could reopen). Each test shows the attack step happened, then that the answer stays bounded and
// host-worded, the server stays up, and the next code_run works. The daemon's side against a replaced driver that
// writes garbage, forged ids and endless lines is sandbox/test/unit/kernel.test.ts.
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../fixtures/server.ts';

describe('reliability: attacks on the code interpreter from the code it runs', function () {
  this.timeout(300_000);
  let s: TestServer;
  const sh = async (command: string) => String((await s.ok('shell_exec', { command })).structured?.stdout ?? '');
  const stillWorks = async () => {
    const r = await s.ok('code_run', { code: '6 * 7' });
    assert.match(r.text, /Out\[\d+\]:\n42/);
  };
  const size = (r: { result: unknown }) => JSON.stringify(r.result).length;

  before(async () => {
    s = await startServer();
    await s.ok('code_run', { code: 'warm = True' });
  });
  after(async () => s?.close());

  it('cannot reach the driver\'s answer channel: its fds are sockets that cannot be reopened, and pidfd_getfd is refused', async () => {
    const r = await s.ok('code_run', {
      code: `
import ctypes, os
ppid = os.getppid()
link = os.readlink(f'/proc/{ppid}/fd/3')
try:
    open(f'/proc/{ppid}/fd/3', 'wb'); print('reopened')
except OSError as e:
    print('reopen refused', e.errno)
libc = ctypes.CDLL(None, use_errno=True)
pidfd = libc.syscall(434, ppid, 0)
print('getfd', libc.syscall(438, pidfd, 3, 0), ctypes.get_errno())
print(link.split(':')[0])`,
    });
    assert.match(r.text, /reopen refused \d+/);
    assert.match(r.text, /getfd -1 1\b/);
    assert.match(r.text, /^socket$/m);
  });

  it('forged image outputs (not a PNG, a giant header, an oversized file) are left out with a note; no image reaches the client', async () => {
    const r = await s.ok('code_run', {
      code: `
import base64, struct, zlib
from IPython.display import display
def png(w, h, pad=0):
    ihdr = struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)
    return b'\\x89PNG\\r\\n\\x1a\\n' + struct.pack('>I', 13) + b'IHDR' + ihdr + struct.pack('>I', zlib.crc32(b'IHDR' + ihdr)) + b'\\x00' * pad
display({'image/png': 'not base64 at all !!!'}, raw=True)
display({'image/png': base64.b64encode(b'GIF89a' + b'\\x00' * 50).decode()}, raw=True)
display({'image/png': base64.b64encode(png(100000, 100000)).decode()}, raw=True)
display({'image/png': base64.b64encode(png(10, 10, 6 * 1024 * 1024)).decode()}, raw=True)
print('sent 4')`,
    });
    assert.match(r.text, /sent 4/);
    assert.equal(r.result.content.filter((c) => c.type === 'image').length, 0);
    assert.equal((r.text.match(/image output was left out/g) ?? []).length, 4, r.text);
    assert.ok(size(r) < 20_000);
  });

  it('a truncated PNG, or one whose pixel data is short, is left out: a client that cannot decode it never gets it', async () => {
    // Both pass a header check; a model API given an undecodable image can refuse the whole conversation.
    const r = await s.ok('code_run', {
      code: `
import base64, struct, zlib
from IPython.display import display
def chunk(t, d):
    return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
ihdr = struct.pack('>IIBBBBB', 50, 40, 8, 2, 0, 0, 0)
head = b'\\x89PNG\\r\\n\\x1a\\n' + chunk(b'IHDR', ihdr)
display({'image/png': base64.b64encode(head).decode()}, raw=True)
short = head + chunk(b'IDAT', zlib.compress(b'\\x00' * (1 + 150) * 39)) + chunk(b'IEND', b'')
display({'image/png': base64.b64encode(short).decode()}, raw=True)
whole = head + chunk(b'IDAT', zlib.compress(b'\\x00' * (1 + 150) * 40)) + chunk(b'IEND', b'')
display({'image/png': base64.b64encode(whole).decode()}, raw=True)
print('sent 3')`,
    });
    assert.match(r.text, /sent 3/);
    assert.equal((r.text.match(/image output was left out/g) ?? []).length, 2, r.text);
    const imgs = r.result.content.filter((c) => c.type === 'image');
    assert.equal(imgs.length, 1, 'only the whole image is shown');
    assert.match(r.text, /figure 50×40/);
  });

  it('floods of output (50 MB of stdout, 5,000 displays, 30 figures, a 1 MB traceback) come back bounded', async () => {
    const r = await s.call('code_run', {
      code: `
import sys, matplotlib.pyplot as plt
from IPython.display import display, HTML
for _ in range(50):
    sys.stdout.write('y' * (1 << 20))
for i in range(5000):
    display(HTML('<p>' + 'z' * 1000 + '</p>'))
for i in range(30):
    plt.figure(); plt.plot([0, i]); plt.show()
raise ValueError('w' * (1 << 20))`,
      timeout_s: 240,
    });
    assert.equal(r.isError, true);
    assert.match(r.text, /error: ValueError/);
    assert.match(r.text, /characters omitted/);
    const images = r.result.content.filter((c) => c.type === 'image').length;
    assert.ok(images <= 8, `${images} images`);
    assert.ok(size(r) < 1024 * 1024, `result of ${size(r)} bytes`);
    await stillWorks();
  });

  it('a killed driver is replaced with a notice, and Python hooks planted for it do not run in it (python3 -I)', async () => {
    await s.ok('code_run', { code: 'before = 1' });
    const planted = await sh(
      'd=$(python3 -c "import site; print(site.getusersitepackages())") && mkdir -p "$d" && ' +
        `printf 'import os, sys\\nopen("/workspace/.hook-%%d" %% os.getpid(), "w").write(" ".join(sys.orig_argv)[:40])\\n' > "$d/usercustomize.py" && ` +
        // Killed and gone before the next call: a run asked while the signal is still being delivered finds the driver
        // dying and is reported as 'stopped while running' (the next call restarts it), not what this test is about.
        "pkill -KILL -f '^/usr/bin/python3 -I -c' && for i in $(seq 100); do pgrep -f '^/usr/bin/python3 -I -c' >/dev/null || break; sleep 0.05; done && echo killed",
    );
    assert.match(planted, /killed/);
    const r = await s.ok('code_run', { code: '"before" in globals()' });
    assert.match(r.text, /Note: the code interpreter's process had stopped or misbehaved and was restarted/);
    assert.match(r.text, /False/);
    const hooks = await sh('cat /workspace/.hook-* 2>/dev/null; echo; rm -f /workspace/.hook-* "$(python3 -c "import site; print(site.getusersitepackages())")/usercustomize.py"');
    // The hook ran in the kernel (the agent's own Python, as intended) but never in the driver.
    assert.match(hooks, /python3 -c import sys/);
    assert.doesNotMatch(hooks, /python3 -I/);
    await stillWorks();
  });
});
