// Port exposure, static deploys (local and Netlify against a local fake of its API) and image_view.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import Docker from 'dockerode';
import { unzipSync } from 'fflate';
import { startServer, type TestServer } from '../fixtures/server.ts';

/** A minimal RGB PNG encoder, so the test owns its fixture bytes. */
function makePng(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set([x % 256, 128, 255 - (x % 256)], 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

interface NetlifyCall {
  method: string;
  url: string;
  auth?: string;
  type?: string;
  body: Buffer;
}

function fakeNetlify(): Promise<{ server: Server; url: string; calls: NetlifyCall[] }> {
  const calls: NetlifyCall[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const call = { method: req.method!, url: req.url!, auth: req.headers.authorization, type: req.headers['content-type'], body: Buffer.concat(chunks) };
    calls.push(call);
    res.setHeader('content-type', 'application/json');
    if (call.auth !== 'Bearer nf-good-token') return res.writeHead(401).end('{"message":"Access Denied"}');
    if (req.method === 'GET' && req.url!.startsWith('/api/v1/sites?')) return res.end('[]');
    if (req.method === 'POST' && req.url === '/api/v1/sites') return res.end(JSON.stringify({ id: 'site-1', name: JSON.parse(call.body.toString()).name }));
    if (req.method === 'POST' && req.url === '/api/v1/sites/site-1/deploys') return res.end(JSON.stringify({ id: 'dep-1', state: 'uploaded', ssl_url: 'https://my-report.netlify.app' }));
    res.writeHead(404).end('{}');
  }).listen(0, '127.0.0.1');
  return new Promise((resolve) => server.once('listening', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls })));
}

describe('port_expose, site_deploy and image_view', function () {
  this.timeout(180_000);
  let s: TestServer;
  let dataDir: string;
  let netlify: Awaited<ReturnType<typeof fakeNetlify>>;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'suna-publish-'));
    netlify = await fakeNetlify();
    s = await startServer({ env: { SUNA_DATA_DIR: dataDir, NETLIFY_AUTH_TOKEN: 'nf-good-token', NETLIFY_API_URL: netlify.url } });
  });
  after(async () => {
    await s?.close();
    netlify?.server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('exposes a python http.server in the sandbox on the host, lists and closes it', async () => {
    await s.ok('file_write', { path: 'www/index.html', content: '<h1>served from the sandbox</h1>' });
    await s.ok('shell_start', { command: 'cd www && exec python3 -m http.server 8200', name: 'www' });
    await s.ok('shell_exec', { command: 'for i in $(seq 50); do curl -sf http://127.0.0.1:8200/ >/dev/null && exit 0; sleep 0.1; done; exit 1' });
    const r = await s.ok('port_expose', { port: 8200 });
    const url = String(r.structured?.url);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /served from the sandbox/);
    assert.match((await s.ok('port_list')).text, new RegExp(`8200 → ${url.replace(/[.]/g, '\\.')}`));
    await s.ok('port_close', { port: 8200 });
    await assert.rejects(fetch(url, { signal: AbortSignal.timeout(3000) }));
  });

  it('refuses to expose a port nothing listens on', async () => {
    const r = await s.call('port_expose', { port: 8299 });
    assert.equal(r.isError, true);
    assert.match(r.text, /nothing listens on port 8299/);
  });

  it('deploys a site locally and keeps serving it after the sandbox has stopped', async () => {
    await s.ok('file_write', { path: 'site/index.html', content: '<h1>My report</h1><a href="sub/page.html">more</a>' });
    await s.ok('file_write', { path: 'site/sub/page.html', content: '<p>second page</p>' });
    await s.ok('shell_exec', { command: 'ln -s /etc/passwd site/leak.txt' });
    const r = await s.ok('site_deploy', { directory: 'site', name: 'my-report' });
    const url = String(r.structured?.url);
    assert.match(r.text, /skipped 1 symlinks/);
    assert.ok(r.result.content.some((c) => c.type === 'resource_link' && c.uri === 'sandbox://workspace/site/index.html'), 'a resource link to the deployed page');
    await new Docker().getContainer(`suna-${s.sandboxName}`).stop({ t: 1 });
    const home = await fetch(url);
    assert.equal(home.status, 200);
    assert.match(home.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await home.text(), /My report/);
    assert.match(await (await fetch(url + 'sub/page.html')).text(), /second page/);
    assert.equal((await fetch(url + 'leak.txt')).status, 404);
    const traversal = await fetch(url + '..%2f..%2f..%2fetc%2fpasswd');
    assert.ok([403, 404].includes(traversal.status), `status ${traversal.status}`);
    assert.doesNotMatch(await traversal.text(), /root:/);
    assert.match((await s.ok('site_list')).text, /my-report\s+local/);
    // The next call brings the sandbox back.
    await s.ok('shell_exec', { command: 'true' });
  });

  it('copies only names the host accepts: backslash, colon and control-character names made in the sandbox are refused and reported', async () => {
    await s.ok('shell_exec', { command: "mkdir -p odd/sub && echo '<h1>odd</h1>' > odd/index.html && echo ok > odd/sub/ok.css && echo x > 'odd/..\\evil.html' && echo x > 'odd/ab:evil.html' && echo x > \"$(printf 'odd/nl\\nevil.html')\"" });
    const r = await s.ok('site_deploy', { directory: 'odd', name: 'odd' });
    assert.match(r.text, /deployed 2 files/);
    assert.match(r.text, /refused: contains a backslash/);
    assert.match(r.text, /refused: contains ":"/);
    assert.match(r.text, /refused: contains control characters/);
    assert.equal(r.structured?.files, 2);
    const copied = readdirSync(join(dataDir, 'sites', 'odd'), { recursive: true }).map(String).sort();
    assert.deepEqual(copied, ['index.html', 'sub', 'sub/ok.css']);
    assert.match(await (await fetch(String(r.structured?.url))).text(), /odd/);
    await s.ok('site_remove', { name: 'odd' });
  });

  it('applies the path policy to the deployed directory and wants an index.html', async () => {
    for (const directory of ['../etc', '/etc', '/workspace_evil']) {
      const r = await s.call('site_deploy', { directory, name: 'evil' });
      assert.equal(r.isError, true, directory);
    }
    await s.ok('file_write', { path: 'noindex/a.html', content: 'x' });
    const r = await s.call('site_deploy', { directory: 'noindex', name: 'noindex' });
    assert.match(r.text, /no index\.html/);
  });

  it('removes a local site', async () => {
    const before = await s.ok('site_list');
    const url = /my-report\s+local\s+(\S+)/.exec(before.text)![1]!;
    await s.ok('site_remove', { name: 'my-report' });
    await assert.rejects(fetch(url, { signal: AbortSignal.timeout(3000) }));
  });

  it('deploys to Netlify through its API with the token from the host environment', async () => {
    await s.ok('file_write', { path: 'site2/index.html', content: '<h1>netlify</h1>' });
    await s.ok('file_write', { path: 'site2/css/app.css', content: 'h1{color:red}' });
    const r = await s.ok('site_deploy', { directory: 'site2', name: 'my-report', provider: 'netlify' });
    assert.match(r.text, /https:\/\/my-report\.netlify\.app/);
    const deploy = netlify.calls.find((c) => c.url === '/api/v1/sites/site-1/deploys')!;
    assert.equal(deploy.type, 'application/zip');
    assert.equal(deploy.auth, 'Bearer nf-good-token');
    const zip = unzipSync(new Uint8Array(deploy.body));
    assert.deepEqual(Object.keys(zip).sort(), ['css/app.css', 'index.html']);
    assert.equal(Buffer.from(zip['index.html']!).toString(), '<h1>netlify</h1>');
    assert.doesNotMatch(r.text, /nf-good-token/);
    // The token never reached the sandbox.
    const env = await s.ok('shell_exec', { command: 'cat /proc/*/environ 2>/dev/null | tr "\\0" "\\n" | grep -c nf-good-token || true' });
    assert.equal(env.structured?.stdout, '0\n');
  });

  it('views a large PNG downscaled to 1568 px and renders an SVG', async () => {
    await s.ok('file_write', { path: 'img/big.png', content: makePng(3000, 1500).toString('base64'), encoding: 'base64' });
    const r = await s.ok('image_view', { path: 'img/big.png' });
    assert.match(r.text, /image\/png, 3000×1500, shown at 1568×784/);
    const img = r.result.content.find((c) => c.type === 'image') as { data: string; mimeType: string };
    const out = Buffer.from(img.data, 'base64');
    assert.ok(out.length < 1024 * 1024, `${out.length} bytes`);
    if (img.mimeType === 'image/png') assert.equal(out.readUInt32BE(16), 1568);
    await s.ok('file_write', { path: 'img/logo.svg', content: '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><rect width="200" height="100" fill="red"/></svg>' });
    const svg = await s.ok('image_view', { path: 'img/logo.svg' });
    assert.match(svg.text, /image\/svg\+xml, 200×100/);
    const bad = await s.call('image_view', { path: 'www/index.html' });
    assert.match(bad.text, /not a png, jpeg, gif, webp or svg/);
  });
});
