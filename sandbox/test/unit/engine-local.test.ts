// When the host socket is used at all: only where the engine shares this machine's filesystem (backend.ts
// engineIsLocal). A remote engine, Docker Desktop, or the host's engine seen from inside another container would
// bind a path that is not ours; the exec streams serve those.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type Docker from 'dockerode';
import { engineIsLocal } from '../../src/backend.ts';

const fakeDocker = (socketPath: unknown, info: { OperatingSystem?: string; Name?: string } | null) =>
  ({ modem: { socketPath }, info: async () => (info ? info : Promise.reject(new Error('down'))) }) as unknown as Docker;

describe('engineIsLocal', () => {
  const inContainer = existsSync('/.dockerenv') || existsSync('/run/.containerenv');
  const linux = { OperatingSystem: 'Debian GNU/Linux 12 (bookworm)', Name: hostname() };

  it('is false for a TCP or ssh engine, Docker Desktop, an engine that does not answer, and SUNA_HOST_SOCKET=off', async () => {
    assert.equal(await engineIsLocal(fakeDocker(undefined, linux), {}), false); // DOCKER_HOST=tcp://… or ssh://…
    assert.equal(await engineIsLocal(fakeDocker('//./pipe/docker_engine', linux), {}), false);
    assert.equal(await engineIsLocal(fakeDocker('/var/run/docker.sock', { OperatingSystem: 'Docker Desktop', Name: hostname() }), {}), false);
    assert.equal(await engineIsLocal(fakeDocker('/var/run/docker.sock', null), {}), false);
    assert.equal(await engineIsLocal(fakeDocker('/var/run/docker.sock', linux), { SUNA_HOST_SOCKET: 'off' }), false);
  });

  it('is true for a local unix socket (default finder or DOCKER_HOST=unix://)', async () => {
    if (process.platform !== 'linux') return;
    assert.equal(await engineIsLocal(fakeDocker(() => '/var/run/docker.sock', linux), {}), true);
    assert.equal(await engineIsLocal(fakeDocker('/run/user/1000/docker.sock', linux), {}), true);
  });

  it('inside a container: only an engine running there too (same host name), or SUNA_HOST_SOCKET=on', async function () {
    if (process.platform !== 'linux' || !inContainer) return this.skip();
    const hostEngine = { OperatingSystem: 'Ubuntu 24.04', Name: 'the-host' };
    assert.equal(await engineIsLocal(fakeDocker('/var/run/docker.sock', hostEngine), {}), false);
    assert.equal(await engineIsLocal(fakeDocker('/var/run/docker.sock', hostEngine), { SUNA_HOST_SOCKET: 'on' }), true);
  });
});
