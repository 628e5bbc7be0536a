// Cancelling a browser call: the tab tools pass the call's signal on, so a cancelled navigation stops loading
// in the sandbox's Chromium (the page's server sees its request dropped) and the next call works; a cancelled
// browser_wait ends instead of holding its call slot. The page is served on the Docker bridge gateway and
// reached through the egress policy (--egress-allow <gateway>/32), so this test can watch the request.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import Docker from 'dockerode';
import { startServer, type TestServer } from '../fixtures/server.ts';

async function bridgeGateway(): Promise<string> {
  const net = (await new Docker().getNetwork('bridge').inspect()) as { IPAM?: { Config?: Array<{ Gateway?: string }> } };
  const gw = net.IPAM?.Config?.find((c) => c.Gateway)?.Gateway;
  assert.ok(gw, 'the Docker bridge has a gateway');
  return gw;
}

describe('browser calls honour cancellation', function () {
  this.timeout(180_000);
  let s: TestServer;
  let site: Server;
  let base = '';
  /** Requests to /hang: answered never; each resolves `dropped` when the browser closes the connection. */
  const hanging: Array<{ req: IncomingMessage; dropped: Promise<void> }> = [];
  let arrived: (() => void) | undefined;

  before(async () => {
    const gateway = await bridgeGateway();
    site = createServer((req, res) => {
      if (req.url === '/hang') {
        hanging.push({ req, dropped: new Promise((resolve) => res.once('close', () => resolve())) });
        arrived?.();
        return; // never answered
      }
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><title>Fine</title><h1>still works</h1>');
    });
    await new Promise<void>((resolve) => site.listen(0, gateway, resolve));
    base = `http://${gateway}:${(site.address() as { port: number }).port}`;
    s = await startServer({ args: ['--egress-allow', `${gateway}/32`, '--max-concurrent-calls', '1'] });
    await s.ok('browser_navigate', { url: `${base}/` });
  });
  after(async () => {
    await s?.close();
    site?.close();
  });

  it('a cancelled navigation stops loading the page, and the next call answers', async () => {
    const requested = new Promise<void>((resolve) => (arrived = resolve));
    const ac = new AbortController();
    const call = s.call('browser_navigate', { url: `${base}/hang` }, { signal: ac.signal });
    await requested; // Chromium is waiting for the page
    ac.abort();
    await assert.rejects(call, /abort/i);
    // With one call slot, this waits for the cancelled navigation to end; 20 s is well under its 30 s timeout.
    const r = await s.call('browser_navigate', { url: `${base}/` }, { timeout: 20_000 });
    assert.equal(r.isError, false, r.text);
    assert.match(r.text, /title: Fine/);
    await hanging[0]!.dropped; // and Chromium stopped loading it: the request went away
  });

  it('a cancelled browser_wait frees its call slot for the next call (one slot here)', async () => {
    const ac = new AbortController();
    const call = s.call('browser_wait', { time_s: 50 }, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 500));
    ac.abort();
    await assert.rejects(call, /abort/i);
    // With one call slot, this waits for the cancelled wait to end; a 20 s request timeout is well under its 50 s.
    const r = await s.call('browser_snapshot', {}, { timeout: 20_000 });
    assert.equal(r.isError, false, r.text);
    assert.match(r.text, /still works/);
  });
});
