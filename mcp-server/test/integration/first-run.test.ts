// The first call of a fresh install builds the sandbox image: it reports the build's steps as progress, answers
// with a retryable message before a client would give up (the build goes on), and a base image that cannot be
// had says what to do. Each case forces a build under a throwaway tag on the offline base CI already has.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { startServer, type TestServer } from '../fixtures/server.ts';

const BASE = process.env.SUNA_BASE_IMAGE;
const tags: string[] = [];
function freshTag(): string {
  const tag = `suna-sandbox:first-run-${randomBytes(4).toString('hex')}`;
  tags.push(tag);
  return tag;
}
const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

describe('first run: building the sandbox image', function () {
  this.timeout(300_000);
  let s: TestServer | undefined;

  before(function () {
    if (!BASE) this.skip(); // needs the offline base (CI exports it); with a registry the build would pull
  });
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });
  after(async () => {
    const docker = new Docker();
    for (const t of tags) await docker.getImage(t).remove({ force: true }).catch(() => {});
  });

  it('reports the build steps as progress notifications and then answers the call', async () => {
    s = await startServer({ env: { SUNA_IMAGE: freshTag(), SUNA_BASE_IMAGE: BASE! } });
    const progress: { progress: number; total?: number; message?: string }[] = [];
    const r = (await s.client.callTool({ name: 'shell_exec', arguments: { command: 'echo built' } }, undefined, { onprogress: (p) => progress.push(p), timeout: 120_000 })) as CallToolResult;
    assert.equal(r.isError, undefined, text(r));
    assert.match(text(r), /built/);
    assert.ok(progress.length >= 2, `got ${progress.length} progress notifications`);
    assert.match(progress[0]!.message ?? '', /building the sandbox image \(first run only\): step \d+ of \d+/);
    assert.ok(progress.every((p) => p.total === progress[0]!.total), 'a fixed total');
  });

  it('answers "retry" before the client gives up, keeps building, and a later call works', async () => {
    s = await startServer({ env: { SUNA_IMAGE: freshTag(), SUNA_BASE_IMAGE: BASE!, SUNA_IMAGE_WAIT_MS: '1' } });
    const first = await s.call('shell_exec', { command: 'echo later' });
    assert.equal(first.isError, true);
    assert.match(first.text, /The sandbox image is being built \(first run only; .*\)\. Retry this call in a minute/);
    const status = await s.ok('sandbox_status');
    assert.match(status.text, /the sandbox image is being built|sandbox .*running|sandbox .*absent/);
    let last = first;
    for (let i = 0; i < 60 && last.isError; i++) {
      await new Promise((r) => setTimeout(r, 2000));
      last = await s.call('shell_exec', { command: 'echo later' });
    }
    assert.equal(last.isError, false, last.text);
    assert.match(last.text, /later/);
  });

  it('a base image that cannot be had names --base-image and build-image', async () => {
    s = await startServer({ env: { SUNA_IMAGE: freshTag(), SUNA_BASE_IMAGE: 'No-Such-Base:Invalid' } });
    const r = await s.call('shell_exec', { command: 'true' });
    assert.equal(r.isError, true);
    assert.match(r.text, /base No-Such-Base:Invalid could not be had/);
    assert.match(r.text, /--base-image/);
    assert.match(r.text, /build-image/);
    assert.doesNotMatch(r.text, /internal error/);
  });
});
