// The core tools against a Docker Engine that is not this machine's: a second dockerd in a network namespace,
// reached over TCP with mutual TLS through DOCKER_HOST / DOCKER_TLS_VERIFY / DOCKER_CERT_PATH only (the
// SandboxBackend's Docker implementation, unchanged). Shell, files, a background server exposed on the host's
// loopback through the daemon stream, and the browser inside the remote sandbox. Needs root.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { startRemoteEngine, type RemoteEngine } from '../fixtures/remote-engine.ts';
import { CLI, serverEnv, startServer, testSandboxName, type TestServer } from '../fixtures/server.ts';

describe('a remote Docker Engine over TLS', function () {
  this.timeout(900_000);
  let engine: RemoteEngine;
  let s: TestServer;
  let dataDir: string;
  const name = testSandboxName('remote');

  before(async () => {
    // The image tag this build of the server wants (built locally if missing), then copied to the remote engine.
    const tag = execFileSync(process.execPath, [CLI, 'build-image'], { env: serverEnv(), stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    engine = await startRemoteEngine([tag]);
    dataDir = mkdtempSync(join(tmpdir(), 'suna-remote-'));
    s = await startServer({ env: { ...engine.env, SUNA_SANDBOX_NAME: name, SUNA_DATA_DIR: dataDir } });
  });
  after(async () => {
    await s?.close().catch(() => {});
    await engine?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs commands and keeps files in a sandbox on the remote engine, none on the local one', async () => {
    const r = await s.ok('shell_exec', { command: 'echo hello from $(id -un)' });
    assert.equal(r.structured?.stdout, 'hello from user\n');
    await s.ok('file_write', { path: 'notes/a.txt', content: 'remote file\n' });
    assert.match((await s.ok('file_read', { path: 'notes/a.txt' })).text, /remote file/);
    assert.match((await s.ok('file_list', { path: 'notes' })).text, /a\.txt/);
    const remote = await engine.docker.listContainers({ all: true, filters: { name: [`suna-${name}`] } });
    assert.equal(remote.length, 1, 'the sandbox runs on the remote engine');
    const local = await new Docker().listContainers({ all: true, filters: { name: [`suna-${name}`] } });
    assert.equal(local.length, 0, 'and not on the local one');
  });

  it('exposes a server of the remote sandbox on the local loopback (through the daemon stream)', async () => {
    await s.ok('file_write', { path: 'site/index.html', content: '<title>remote page</title><h1>served remotely</h1>' });
    await s.ok('shell_start', { command: 'cd site && python3 -m http.server 8124 --bind 127.0.0.1' });
    let exposed;
    for (let i = 0; i < 30; i++) {
      exposed = await s.call('port_expose', { port: 8124 });
      if (!exposed.isError) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(exposed?.isError, false, exposed?.text);
    const url = String(exposed?.structured?.url);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await (await fetch(url)).text();
    assert.match(page, /served remotely/);
  });

  it('drives the browser inside the remote sandbox', async () => {
    const nav = await s.ok('browser_navigate', { url: 'http://localhost:8124/' });
    assert.match(nav.text, /remote page/);
  });

  it('refuses an engine whose certificate the CA in DOCKER_CERT_PATH did not sign (no silent fallback to no TLS)', async () => {
    const other = mkdtempSync(join(tmpdir(), 'suna-otherca-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=mallory', '-keyout', 'key.pem', '-out', 'cert.pem'], { cwd: other, stdio: 'ignore' });
      execFileSync('cp', ['cert.pem', 'ca.pem'], { cwd: other });
      const mitm = await startServer({ env: { ...engine.env, DOCKER_CERT_PATH: other, SUNA_SANDBOX_NAME: testSandboxName('mitm'), SUNA_DATA_DIR: dataDir } });
      try {
        const r = await mitm.call('shell_exec', { command: 'echo should not run' });
        assert.equal(r.isError, true, r.text);
        assert.match(r.text, /Docker/i);
        assert.doesNotMatch(r.text, /should not run\n/);
      } finally {
        await mitm.close();
      }
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
