// A container made with an older hardening profile (uid 1000, no capabilities: the daemon could not confine
// itself there) is replaced on the next start, its workspace volume kept, and the new one is confined.
import assert from 'node:assert/strict';
import Docker from 'dockerode';
import { DEFAULT_SANDBOX_CONFIG, Sandbox, containerSpec, type SandboxConfig } from '../../src/index.ts';

describe('sandbox posture upgrade', function () {
  this.timeout(180_000);
  const docker = new Docker();
  const config = {
    ...DEFAULT_SANDBOX_CONFIG,
    name: `posture-${process.pid}-${Date.now().toString(36)}`,
    ephemeral: true,
    baseImage: process.env.SUNA_BASE_IMAGE ?? DEFAULT_SANDBOX_CONFIG.baseImage,
  } as SandboxConfig;
  let sb: Sandbox;
  after(async () => sb?.shutdown('remove'));

  it('an old-posture container is recreated and commands run confined', async () => {
    sb = new Sandbox(config);
    await sb.ensure();
    await sb.call('write', { path: '/workspace/kept.txt', data: Buffer.from('kept').toString('base64') });
    sb.disconnect();
    // Replace it by one made the old way.
    await sb.driver.remove({ volumes: false });
    const spec = containerSpec(config);
    const old = await docker.createContainer({ ...spec, User: '1000:1000', HostConfig: { ...spec.HostConfig, CapAdd: [] } });
    await old.start();
    const r = await sb.exec({ command: 'cat kept.txt; id -u; grep CapBnd /proc/self/status', cwd: '/workspace', timeoutMs: 10_000, capBytes: 4096 });
    const out = Buffer.from(r.stdout.head, 'base64').toString();
    assert.match(out, /^kept1000\nCapBnd:\s+0{16}$/m);
    const info = await (await sb.driver.find())!.inspect();
    assert.notEqual(info.Id, old.id);
    assert.equal(info.Config.User, '0:0');
  });
});
