// The egress classifier and allow list, proven here without sending a packet: every range the sandbox must never
// reach (cloud metadata, private networks, the host) is refused, public addresses are allowed, and a name is only
// as good as the address it resolves to.
import assert from 'node:assert/strict';
import { decide, hostAddressSet, nonPublicReason, parseAllowList, refusedBeforeResolving, type EgressMode, type EgressPolicy } from '../../src/egress/policy.ts';

function policy(mode: EgressMode, allow: string[] = [], host: string[] = []): EgressPolicy {
  return { mode, allow: parseAllowList(allow), hostAddresses: hostAddressSet(host) };
}

describe('egress classifier', () => {
  const blocked: Array<[string, RegExp]> = [
    ['169.254.169.254', /link-local \(cloud metadata\)/],
    ['169.254.170.2', /link-local/],
    ['fd00:ec2::254', /unique-local/],
    ['fc00::1', /unique-local/],
    ['fe80::1', /link-local/],
    ['fec0::1', /site-local/],
    ['::ffff:10.0.0.1', /private \(IPv4 inside IPv6\)/],
    ['::ffff:169.254.169.254', /link-local.*IPv4 inside IPv6/],
    ['::ffff:127.0.0.1', /loopback/],
    ['::ffff:a9fe:a9fe', /link-local/], // 169.254.169.254 written in hex
    ['::10.0.0.1', /private/], // IPv4-compatible
    ['64:ff9b::a9fe:a9fe', /link-local/], // NAT64 of the metadata address
    ['64:ff9b:1::1', /local-use NAT64/],
    ['2002:c0a8:0101::1', /private/], // 6to4 of 192.168.1.1
    ['2002:a9fe:a9fe::1', /link-local/], // 6to4 of 169.254.169.254
    ['2001:0:4136:e378::1', /Teredo/],
    ['0.0.0.0', /unspecified/],
    ['0.1.2.3', /unspecified/],
    ['::', /unspecified/],
    ['127.0.0.1', /loopback/],
    ['127.255.255.254', /loopback/],
    ['::1', /loopback/],
    ['10.0.0.1', /private/],
    ['10.250.1.2', /private/],
    ['172.16.0.1', /private/],
    ['172.17.0.1', /private/], // the Docker bridge gateway
    ['172.31.255.255', /private/],
    ['192.168.1.1', /private/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['100.127.255.255', /carrier-grade NAT/],
    ['224.0.0.1', /multicast/],
    ['239.255.255.250', /multicast/],
    ['ff02::1', /multicast/],
    ['255.255.255.255', /reserved/],
    ['240.0.0.1', /reserved/],
    ['192.0.0.170', /reserved/],
    ['192.0.2.1', /documentation/],
    ['198.18.0.1', /reserved/],
    ['198.51.100.7', /documentation/],
    ['203.0.113.9', /documentation/],
    ['2001:db8::1', /documentation/],
    ['100::1', /discard/],
    ['4000::1', /reserved/],
    ['not-an-ip', /not an IP address/],
  ];
  for (const [address, why] of blocked) {
    it(`refuses ${address} (${why.source.replace(/\\/g, '')})`, () => {
      const reason = nonPublicReason(address);
      assert.ok(reason, `${address} was classified public`);
      assert.match(reason, why);
      const v = decide(policy('public'), address, address);
      assert.equal(v.allowed, false);
    });
  }

  const publicAddresses = ['1.1.1.1', '8.8.8.8', '93.184.216.34', '151.101.0.223', '172.32.0.1', '100.128.0.1', '169.253.255.255', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:0808:0808::1'];
  for (const address of publicAddresses) {
    it(`allows the public address ${address} by default`, () => {
      assert.equal(nonPublicReason(address), null);
      assert.deepEqual(decide(policy('public'), address, address), { allowed: true, why: 'public address' });
    });
  }

  it('refuses every address of the host even when it is public', () => {
    const p = policy('public', [], ['203.0.114.5', 'fe80::1%eth0', '2a01:4f8::5']);
    assert.match(decide(p, 'me.example', '203.0.114.5').why, /address of the host/);
    assert.match(decide(p, 'me.example', '2a01:4f8::5').why, /address of the host/);
    assert.equal(decide(p, 'other.example', '203.0.114.6').allowed, true);
  });

  it('refuses everything in mode none', () => {
    assert.equal(decide(policy('none'), '1.1.1.1', '1.1.1.1').allowed, false);
  });
});

describe('egress allow list', () => {
  it('admits exact domains and subdomains of *.domain, resolved to public addresses, and nothing else', () => {
    const p = policy('allowlist', ['pypi.org', '*.pythonhosted.org', 'Registry.NPMJS.org.']);
    assert.equal(decide(p, 'pypi.org', '151.101.0.223').allowed, true);
    assert.equal(decide(p, 'PyPI.org', '151.101.0.223').allowed, true);
    assert.equal(decide(p, 'files.pythonhosted.org', '151.101.0.223').allowed, true);
    assert.equal(decide(p, 'a.b.pythonhosted.org', '151.101.0.223').allowed, true);
    assert.equal(decide(p, 'registry.npmjs.org', '104.16.0.1').allowed, true);
    assert.equal(decide(p, 'pythonhosted.org', '151.101.0.223').allowed, false, '*.x does not cover x itself');
    assert.equal(decide(p, 'evilpypi.org', '151.101.0.223').allowed, false);
    assert.equal(decide(p, 'pypi.org.evil.com', '151.101.0.223').allowed, false);
    assert.equal(decide(p, 'xpythonhosted.org', '151.101.0.223').allowed, false);
    assert.match(decide(p, 'example.com', '93.184.216.34').why, /not on the allow list/);
    assert.match(decide(p, '151.101.0.223', '151.101.0.223').why, /not in an allowed CIDR/, 'an IP literal needs a CIDR entry');
  });

  it('refuses an allowed name that resolves to a private address (DNS rebinding) unless a CIDR admits it', () => {
    const p = policy('allowlist', ['pypi.org']);
    assert.match(decide(p, 'pypi.org', '169.254.169.254').why, /link-local/);
    assert.match(decide(p, 'pypi.org', '10.0.0.5').why, /private/);
    assert.equal(decide(policy('public'), 'rebind.example', '127.0.0.1').allowed, false);
    const withCidr = policy('allowlist', ['10.250.0.0/30', 'internal.example']);
    assert.equal(decide(withCidr, 'internal.example', '10.250.0.2').allowed, true);
    assert.match(decide(withCidr, 'internal.example', '10.250.0.6').why, /10\.250\.0\.6 is a private address/);
    assert.equal(decide(policy('public', ['10.250.0.0/30']), 'rebind.example', '10.250.0.2').allowed, true);
    assert.equal(decide(policy('public', ['10.250.0.0/30']), 'rebind.example', '10.250.0.6').allowed, false);
  });

  it('refuses a name that is not on the list before resolving it (no DNS leaks in allowlist mode)', () => {
    const p = policy('allowlist', ['10.250.0.0/30', 'pypi.org']);
    assert.match(refusedBeforeResolving(p, 'secret-data.attacker.example') ?? '', /not on the allow list/);
    assert.equal(refusedBeforeResolving(p, 'pypi.org'), null);
    assert.equal(refusedBeforeResolving(p, '10.250.0.2'), null);
    assert.equal(refusedBeforeResolving(policy('public'), 'anything.example'), null);
    assert.match(refusedBeforeResolving(policy('none'), 'pypi.org') ?? '', /egress is off/);
    assert.equal(decide(p, 'unlisted.example', '10.250.0.2').allowed, false, 'a CIDR does not admit unlisted names');
  });

  it('admits addresses inside an allowed CIDR, also in IPv4-mapped form, and in public mode too', () => {
    const p = policy('allowlist', ['10.250.1.0/30', 'fd12::/16', '192.0.2.7']);
    assert.equal(decide(p, '10.250.1.1', '10.250.1.1').allowed, true);
    assert.equal(decide(p, '10.250.1.1', '::ffff:10.250.1.1').allowed, true);
    assert.equal(decide(p, '10.250.1.4', '10.250.1.4').allowed, false);
    assert.equal(decide(p, 'fd12::9', 'fd12::9').allowed, true);
    assert.equal(decide(p, '192.0.2.7', '192.0.2.7').allowed, true);
    assert.equal(decide(p, '192.0.2.8', '192.0.2.8').allowed, false);
    assert.equal(decide(policy('public', ['10.250.1.0/30']), '10.250.1.2', '10.250.1.2').allowed, true);
    assert.equal(decide(policy('public', ['10.250.1.0/30']), '10.250.2.2', '10.250.2.2').allowed, false);
  });

  it('refuses entries that are neither a domain nor a CIDR, with the forms it accepts', () => {
    for (const bad of ['http://example.com', 'example.com:443', '10.0.0.0/33', '10.0.0.0/8/1', 'exa mple.com', '*', '*.', 'a..b', '-bad.com']) {
      assert.throws(() => parseAllowList([bad]), /neither a domain \(example\.com, \*\.example\.com\) nor an IP address or CIDR/, bad);
    }
  });
});
