// The egress policy, in one place: which addresses the sandbox may reach. The decision is always made on a
// RESOLVED address (the broker then connects to exactly that address), never on a name, so a name that resolves
// to a private address (DNS rebinding) is refused unless that address is itself allowed by CIDR.
//
// Blocked unless an --egress-allow CIDR covers it: loopback, "this network" (0/8, ::), RFC 1918, carrier-grade
// NAT (100.64/10), link-local (169.254/16 with cloud metadata, fe80::/10), unique-local (fc00::/7, e.g. AWS's
// fd00:ec2::254), site-local, multicast, broadcast, reserved and documentation ranges, and every address of this
// host (its interfaces and the Docker bridge gateway). IPv6 forms that carry an IPv4 address (IPv4-mapped,
// IPv4-compatible, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by the IPv4 address inside; Teredo and
// local-use NAT64 are refused outright because their embedded address cannot be trusted.
import { isIP, isIPv4 } from 'node:net';

export type EgressMode = 'public' | 'allowlist' | 'none';

export interface Cidr {
  family: 4 | 6;
  /** Network bits as a bigint (32 or 128 bits). */
  base: bigint;
  prefix: number;
  text: string;
}

export interface EgressAllowList {
  /** Exact names ("pypi.org"). */
  domains: Set<string>;
  /** Suffixes from "*.example.com": any subdomain of example.com (not example.com itself). */
  wildcards: string[];
  cidrs: Cidr[];
}

export interface EgressPolicy {
  mode: EgressMode;
  allow: EgressAllowList;
  /** Addresses of this host (interfaces, bridge gateway): refused like private ones unless CIDR-allowed. */
  hostAddresses: Set<string>;
}

export class EgressConfigError extends Error {
  override readonly name = 'EgressConfigError';
}

// ---------- addresses ----------

function parseV4(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

/** 128-bit value of a valid IPv6 text (as accepted by net.isIP), including a trailing dotted IPv4 part. */
function parseV6(text: string): bigint {
  let s = text.replace(/%.*$/, '').toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const n = parseV4(v4[1]!);
    s = s.slice(0, -v4[1]!.length) + ((n >> 16n) & 0xffffn).toString(16) + ':' + (n & 0xffffn).toString(16);
  }
  const [head, tail] = s.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

export interface ParsedAddress {
  family: 4 | 6;
  value: bigint;
}

export function parseAddress(text: string): ParsedAddress | null {
  const family = isIP(text.replace(/%.*$/, ''));
  if (family === 4) return { family: 4, value: parseV4(text) };
  if (family === 6) return { family: 6, value: parseV6(text) };
  return null;
}

function v4Text(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 255n)).join('.');
}

function inRange(a: ParsedAddress, family: 4 | 6, base: bigint, prefix: number): boolean {
  if (a.family !== family) return false;
  const bits = family === 4 ? 32 : 128;
  const shift = BigInt(bits - prefix);
  return a.value >> shift === base >> shift;
}

const V4_BLOCKED: Array<[string, number, string]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'], // includes 255.255.255.255, the broadcast address
];
const V4_TABLE = V4_BLOCKED.map(([a, p, why]) => ({ base: parseV4(a), prefix: p, why }));

const V6_BLOCKED: Array<[string, number, string]> = [
  ['::1', 128, 'loopback'],
  ['::', 128, 'unspecified'],
  ['64:ff9b:1::', 48, 'local-use NAT64'],
  ['100::', 64, 'discard'],
  ['2001::', 32, 'Teredo'],
  ['2001:db8::', 32, 'documentation'],
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];
const V6_TABLE = V6_BLOCKED.map(([a, p, why]) => ({ base: parseV6(a), prefix: p, why }));
/** IPv6 forms that embed an IPv4 address: [prefix, prefix length, how to extract the IPv4 value]. */
const V6_EMBEDDING: Array<[bigint, number, (v: bigint) => bigint]> = [
  [parseV6('::ffff:0:0'), 96, (v) => v & 0xffffffffn], // IPv4-mapped
  [parseV6('::'), 96, (v) => v & 0xffffffffn], // IPv4-compatible (deprecated)
  [parseV6('64:ff9b::'), 96, (v) => v & 0xffffffffn], // NAT64 well-known prefix
  [parseV6('2002::'), 16, (v) => (v >> 80n) & 0xffffffffn], // 6to4
];

/**
 * Why an address is not public (e.g. "private", "link-local (cloud metadata)"), or null when it is a public
 * unicast address. Not a valid IP address at all is "not an IP address".
 */
export function nonPublicReason(text: string): string | null {
  const a = parseAddress(text);
  if (!a) return 'not an IP address';
  if (a.family === 4) return V4_TABLE.find((r) => inRange(a, 4, r.base, r.prefix))?.why ?? null;
  const hit = V6_TABLE.find((r) => inRange(a, 6, r.base, r.prefix));
  if (hit) return hit.why;
  for (const [base, prefix, extract] of V6_EMBEDDING) {
    if (inRange(a, 6, base, prefix)) {
      const inner = nonPublicReason(v4Text(extract(a.value)));
      return inner ? `${inner} (IPv4 inside IPv6)` : null;
    }
  }
  // Outside 2000::/3 nothing is assigned as global unicast.
  if (!inRange(a, 6, parseV6('2000::'), 3)) return 'reserved';
  return null;
}

// ---------- allow list ----------

const LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

export function normalizeHostname(name: string): string | null {
  const n = name.toLowerCase().replace(/\.$/, '');
  if (n.length < 1 || n.length > 253) return null;
  return n.split('.').every((l) => LABEL.test(l)) ? n : null;
}

export function parseCidr(text: string): Cidr | null {
  const [addr = '', bits, extra] = text.split('/');
  if (extra !== undefined) return null;
  const a = parseAddress(addr);
  if (!a) return null;
  const max = a.family === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return null;
  return { family: a.family, base: a.value, prefix, text };
}

/** Parse --egress-allow entries: "example.com", "*.example.com", "10.0.0.0/8", "192.0.2.7", "fd00::/8". */
export function parseAllowList(entries: readonly string[]): EgressAllowList {
  const allow: EgressAllowList = { domains: new Set(), wildcards: [], cidrs: [] };
  for (const raw of entries) {
    const entry = raw.trim();
    if (!entry) continue;
    const cidr = parseCidr(entry);
    if (cidr) {
      allow.cidrs.push(cidr);
      continue;
    }
    const wildcard = entry.startsWith('*.');
    const name = normalizeHostname(wildcard ? entry.slice(2) : entry);
    if (!name || /[/:]/.test(entry)) {
      throw new EgressConfigError(`--egress-allow: "${entry}" is neither a domain (example.com, *.example.com) nor an IP address or CIDR (10.0.0.0/8)`);
    }
    if (wildcard) allow.wildcards.push(name);
    else allow.domains.add(name);
  }
  return allow;
}

export function cidrAllows(allow: EgressAllowList, address: string): Cidr | undefined {
  const a = parseAddress(address);
  if (!a) return undefined;
  const unmapped = a.family === 6 && inRange(a, 6, V6_EMBEDDING[0]![0], 96) ? parseAddress(v4Text(a.value & 0xffffffffn)) : null;
  return allow.cidrs.find((c) => inRange(a, c.family, c.base, c.prefix) || (unmapped && inRange(unmapped, c.family, c.base, c.prefix)));
}

export function domainAllowed(allow: EgressAllowList, hostname: string): boolean {
  const n = normalizeHostname(hostname);
  if (!n) return false;
  return allow.domains.has(n) || allow.wildcards.some((w) => n.endsWith('.' + w));
}

// ---------- the decision ----------

export type Verdict = { allowed: true; why: string } | { allowed: false; why: string };

/**
 * In allowlist mode a name that is not on the list is refused before it is resolved, so the sandbox cannot use
 * the host's resolver to leak data in DNS queries either. Returns why, or null when the name may be resolved.
 */
export function refusedBeforeResolving(policy: EgressPolicy, requested: string): string | null {
  if (policy.mode === 'none') return 'egress is off (--egress none)';
  if (policy.mode === 'allowlist' && !isIP(requested) && !domainAllowed(policy.allow, requested)) return `${requested} is not on the allow list (--egress-allow)`;
  return null;
}

/**
 * May the sandbox connect to `address` (already resolved), asked for as `requested` (a name or the same IP)?
 * In allowlist mode the name must be on the list, and an IP address asked for directly needs a CIDR entry. Then an
 * --egress-allow CIDR admits its addresses (private ones too); any other address must be public and not the host's.
 */
export function decide(policy: EgressPolicy, requested: string, address: string): Verdict {
  const early = refusedBeforeResolving(policy, requested);
  if (early) return { allowed: false, why: early };
  const cidr = cidrAllows(policy.allow, address);
  if (cidr) return { allowed: true, why: `allowed by ${cidr.text}` };
  const reason = nonPublicReason(address);
  if (reason === 'not an IP address') return { allowed: false, why: `${address} is not an IP address` };
  if (reason) return { allowed: false, why: `${address} is ${/^[aeiou]/i.test(reason) ? 'an' : 'a'} ${reason} address` };
  if (policy.hostAddresses.has(address.toLowerCase())) return { allowed: false, why: `${address} is an address of the host` };
  if (policy.mode === 'public') return { allowed: true, why: 'public address' };
  if (isIP(requested)) return { allowed: false, why: `${requested} is not in an allowed CIDR (--egress-allow)` };
  return { allowed: true, why: `${requested} is on the allow list` };
}

/** Addresses normalised the way decide() compares them against the host's own. */
export function hostAddressSet(addresses: Iterable<string>): Set<string> {
  const set = new Set<string>();
  for (const a of addresses) {
    const clean = a.replace(/%.*$/, '').toLowerCase();
    if (isIP(clean)) set.add(clean);
    if (isIPv4(clean)) set.add(`::ffff:${clean}`);
  }
  return set;
}
