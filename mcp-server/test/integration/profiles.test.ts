// Sandbox options that change its posture: --network none, and the opt-in apt profile.
import assert from 'node:assert/strict';
import { lookup } from 'node:dns/promises';
import Docker from 'dockerode';
import { nonPublicReason } from '@suna/sandbox';
import { startServer } from '../fixtures/server.ts';

/**
 * Where this machine reaches the npm registry and Debian's mirrors. On some networks (CI behind an intercepting
 * proxy, a corporate mirror) they answer on an address the egress policy calls non-public: allowed by CIDR, as a
 * user on such a network would (README, egress policy). Empty where they are public.
 */
async function registryAllowance(): Promise<string[]> {
  const hosts = ['registry.npmjs.org', 'deb.debian.org', 'security.debian.org'];
  const addresses = (await Promise.all(hosts.map((h) => lookup(h, { all: true }).catch(() => [])))).flat().map((a) => a.address);
  const blocked = [...new Set(addresses)].filter((a) => nonPublicReason(a));
  return blocked.length ? ['--egress-allow', blocked.map((a) => (a.includes(':') ? `${a}/128` : `${a}/32`)).join(',')] : [];
}

describe('sandbox profiles and network', function () {
  this.timeout(240_000);

  it('--network none cuts the sandbox off the network, and sandbox_status says so', async () => {
    const s = await startServer({ env: { SUNA_NETWORK: 'none' } });
    try {
      const r = await s.ok('shell_exec', { command: 'curl -sS -m 5 https://registry.npmjs.org/ -o /dev/null; echo "exit=$?"; ip -o link 2>/dev/null | grep -vc " lo:" || cat /sys/class/net/*/operstate | wc -l' });
      assert.match(String(r.structured?.stdout), /exit=(6|7|28)/);
      const info = await new Docker().getContainer(`suna-${s.sandboxName}`).inspect();
      assert.equal(info.HostConfig.NetworkMode, 'none');
      assert.match((await s.ok('sandbox_status')).text, /network none \(no network access\)/);
    } finally {
      await s.close();
    }
  });

  it('the default egress policy lets package managers reach the registry through the CA bundle', async () => {
    const s = await startServer({ args: await registryAllowance() });
    try {
      const r = await s.ok('shell_exec', { command: 'curl -sS -m 20 -o /dev/null -w "%{http_code}" https://registry.npmjs.org/is-number', timeout_s: 30 });
      assert.equal(r.structured?.stdout, '200', r.text);
    } finally {
      await s.close();
    }
  });

  it('the apt profile runs as root with a writable root filesystem and the few capabilities apt needs', async () => {
    const s = await startServer({ env: { SUNA_PROFILE: 'apt' }, args: await registryAllowance() });
    try {
      const r = await s.ok('shell_exec', { command: 'id -u; touch /usr/local/probe && echo rootfs-writable; grep CapEff /proc/self/status; grep NoNewPrivs /proc/self/status' });
      const out = String(r.structured?.stdout);
      assert.match(out, /^0$/m);
      assert.match(out, /rootfs-writable/);
      assert.doesNotMatch(out, /CapEff:\s+0000003fffffffff|CapEff:\s+000001ffffffffff/); // not the full set
      assert.match(out, /NoNewPrivs:\s+1/);
      const info = await new Docker().getContainer(`suna-${s.sandboxName}`).inspect();
      assert.deepEqual(info.HostConfig.CapAdd?.sort(), ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'SETGID', 'SETUID']);
      assert.match((await s.ok('sandbox_status')).text, /profile apt \(root inside, apt-get allowed\)/);
      const apt = await s.call('shell_exec', { command: 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends sl >/dev/null && test -x /usr/games/sl && echo installed', timeout_s: 180 });
      assert.match(String(apt.structured?.stdout), /installed/, apt.text);
    } finally {
      await s.close();
    }
  });
});
