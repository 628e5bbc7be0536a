// Workspace files as MCP resources through the real SDK client: listed, read as text or as a binary blob,
// refused with a clear error outside the workspace or over the size limit; screenshots link to their file.
import assert from 'node:assert/strict';
import { ResourceListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { startServer, type TestServer } from '../fixtures/server.ts';

const PNG_1x1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

describe('workspace files as MCP resources', function () {
  this.timeout(120_000);
  let s: TestServer;

  before(async () => {
    s = await startServer();
    await s.ok('file_write', { path: 'reports/summary.md', content: '# Q1\nrevenue up\n' });
    await s.ok('file_write', { path: 'charts/dot.png', content: PNG_1x1, encoding: 'base64' });
    await s.ok('file_write', { path: 'name with spaces.txt', content: 'spaced' });
    await s.ok('shell_exec', { command: 'head -c 9000000 /dev/zero > big.bin' });
  });
  after(async () => {
    await s?.close();
  });

  it('lists workspace files with URIs, names and MIME types', async () => {
    const { resources } = await s.client.listResources();
    const byName = new Map(resources.map((r) => [r.name, r]));
    assert.equal(byName.get('reports/summary.md')?.uri, 'sandbox://workspace/reports/summary.md');
    assert.equal(byName.get('reports/summary.md')?.mimeType, 'text/markdown');
    assert.equal(byName.get('charts/dot.png')?.mimeType, 'image/png');
    assert.equal(byName.get('name with spaces.txt')?.uri, 'sandbox://workspace/name%20with%20spaces.txt');
    const { resourceTemplates } = await s.client.listResourceTemplates();
    assert.ok(resourceTemplates.some((t) => t.uriTemplate === 'sandbox://workspace/{+path}'));
  });

  it('reads a text file as text and an image as a blob the client can decode', async () => {
    const text = await s.client.readResource({ uri: 'sandbox://workspace/reports/summary.md' });
    assert.equal((text.contents[0] as { text: string }).text, '# Q1\nrevenue up\n');
    const spaced = await s.client.readResource({ uri: 'sandbox://workspace/name%20with%20spaces.txt' });
    assert.equal((spaced.contents[0] as { text: string }).text, 'spaced');
    const png = await s.client.readResource({ uri: 'sandbox://workspace/charts/dot.png' });
    const blob = Buffer.from((png.contents[0] as { blob: string }).blob, 'base64');
    assert.equal(blob.subarray(1, 4).toString(), 'PNG');
    assert.equal(png.contents[0]!.mimeType, 'image/png');
  });

  it('refuses paths outside the workspace, missing files and files over the limit, saying what to do', async () => {
    // A literal ../ is resolved by the URL parser itself and stays inside: /workspace/etc/passwd.
    await assert.rejects(s.client.readResource({ uri: 'sandbox://workspace/../etc/passwd' }), /etc\/passwd does not exist in the workspace/);
    // Dot segments are resolved by the URL parser too (%2e%2e included); encoded slashes reach the path policy.
    await assert.rejects(s.client.readResource({ uri: 'sandbox://workspace/a%2F..%2F..%2Fetc%2Fpasswd' }), /-32602.*(outside|\.\.)/);
    await assert.rejects(s.client.readResource({ uri: 'sandbox://workspace/nope.txt' }), /-32002.*does not exist/);
    await assert.rejects(s.client.readResource({ uri: 'sandbox://workspace/big.bin' }), /over the 8 MB resource limit/);
  });
  it('tells the client its resource list changed after a call that writes, and not after a read', async () => {
    assert.equal(s.client.getServerCapabilities()?.resources?.listChanged, true);
    let heard = 0;
    const settle = () => new Promise((r) => setTimeout(r, 800)); // the server sends one notification per burst, 200 ms after it
    await settle(); // the setup's own writes were a burst too: let its notification pass before counting
    s.client.setNotificationHandler(ResourceListChangedNotificationSchema, () => void heard++);
    await s.ok('file_read', { path: 'reports/summary.md' });
    await s.ok('sheet_read', { path: 'missing.csv' }).catch(() => {});
    await settle();
    assert.equal(heard, 0, 'read-only calls change nothing');
    await s.ok('file_write', { path: 'fresh/one.txt', content: '1' });
    await s.ok('file_write', { path: 'fresh/two.txt', content: '2' });
    for (let i = 0; i < 50 && heard === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(heard >= 1 && heard <= 2, `one notification per burst (heard ${heard})`);
    const { resources } = await s.client.listResources();
    assert.ok(resources.some((r) => r.name === 'fresh/two.txt'), 'the new listing has the written file');
  });
});
