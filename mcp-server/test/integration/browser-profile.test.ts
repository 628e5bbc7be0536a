// The browser keeps its logins: by default the profile lives in the sandbox's home volume, so a cookie set by a
// site survives a browser restart (and the lock files of a killed Chromium do not block the next start);
// --browser-profile ephemeral starts fresh every time.
import assert from 'node:assert/strict';
import { removeSandbox, startServer, testSandboxName, type TestServer } from '../fixtures/server.ts';

const PAGES: Record<string, string> = {
  'login.html': `<!doctype html><title>Login</title><script>document.cookie = 'session=ada; max-age=86400; path=/'; localStorage.setItem('user', 'ada');</script><p>logged in</p>`,
  'whoami.html': `<!doctype html><title>Who</title><p id="w"></p><script>document.getElementById('w').textContent = 'cookie[' + document.cookie + '] storage[' + localStorage.getItem('user') + ']';</script>`,
};

async function serveSite(s: TestServer): Promise<void> {
  for (const [name, html] of Object.entries(PAGES)) await s.ok('file_write', { path: `site/${name}`, content: html });
  await s.ok('shell_start', { command: 'cd site && exec python3 -m http.server 8126 --bind 127.0.0.1', name: 'site' });
  await s.ok('shell_exec', { command: 'for i in $(seq 50); do curl -sf http://127.0.0.1:8126/login.html >/dev/null && exit 0; sleep 0.1; done; exit 1' });
}

async function login(s: TestServer): Promise<void> {
  await s.ok('browser_navigate', { url: 'http://127.0.0.1:8126/login.html' });
  assert.match((await s.ok('browser_navigate', { url: 'http://127.0.0.1:8126/whoami.html' })).text, /cookie\[session=ada\] storage\[ada\]/);
}
const whoami = async (s: TestServer) => (await s.ok('browser_navigate', { url: 'http://127.0.0.1:8126/whoami.html' })).text;

describe('browser profile', function () {
  this.timeout(240_000);
  let s: TestServer | undefined;
  const name = testSandboxName('profile');
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });
  after(() => removeSandbox(name));

  it('keeps a login across a server and sandbox restart (the browser quits gracefully and saves it)', async () => {
    const env = { SUNA_SANDBOX_NAME: name, SUNA_EPHEMERAL: 'false', SUNA_ON_EXIT: 'stop' };
    s = await startServer({ env });
    await serveSite(s);
    await login(s);
    await s.close();
    s = await startServer({ env }); // same sandbox, container was stopped and is started again
    await serveSite(s);
    assert.match(await whoami(s), /cookie\[session=ada\] storage\[ada\]/);
  });

  it('a browser killed outright leaves lock files that do not block the next start', async () => {
    s = await startServer();
    await serveSite(s);
    await login(s);
    await s.ok('shell_exec', { command: 'pkill -KILL -f "/usr/lib/chromium/[c]hromium"; sleep 1; ls ~/.config/suna-browser/SingletonLock' });
    assert.match(await whoami(s), /title: Who/);
  });

  it('--browser-profile ephemeral starts with no cookies after a restart', async () => {
    s = await startServer({ args: ['--browser-profile', 'ephemeral'] });
    await serveSite(s);
    await login(s);
    // Gone before the next navigation (a navigation into a browser still shutting down is aborted, not restarted).
    // '[c]hromium': the pattern must not match this command's own shell (pkill -f would kill it: no wait at all).
    await s.ok('shell_exec', { command: 'pkill -TERM -f "/usr/lib/chromium/[c]hromium"; for i in $(seq 100); do pgrep -f "/usr/lib/chromium/[c]hromium" >/dev/null || break; sleep 0.1; done' });
    assert.match(await whoami(s), /cookie\[\] storage\[null\]/);
  });
});
