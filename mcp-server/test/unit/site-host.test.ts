// Two servers on one data directory: the second one's restart never rewrites the first one's site records, so
// the URL site_list shows keeps working.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalSiteHost } from '../../src/deploy/static-host.ts';
import { createStore } from '../../src/agent/store.ts';

describe('local site hosting shared by two servers', () => {
  let dir: string;
  const hosts: LocalSiteHost[] = [];
  before(() => (dir = mkdtempSync(join(tmpdir(), 'suna-sites-'))));
  after(async () => {
    for (const h of hosts) await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a second server's restore leaves the first one's record and URL alone", async () => {
    const a = new LocalSiteHost(dir, createStore("sites", dir), '127.0.0.1');
    hosts.push(a);
    const deployed = await a.deploy('demo', [{ path: 'index.html', data: Buffer.from('<h1>from A</h1>') }]);
    const b = new LocalSiteHost(dir, createStore("sites", dir), '127.0.0.1');
    hosts.push(b);
    await b.restore();
    const record = await b.get('demo');
    assert.equal(record?.url, deployed.url);
    assert.equal(await (await fetch(deployed.url)).text(), '<h1>from A</h1>');
  });
});
