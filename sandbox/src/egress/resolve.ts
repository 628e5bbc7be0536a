// Name resolution for the egress broker, done on the host (the sandbox has no DNS of its own). By default the
// host's resolver (getaddrinfo: /etc/hosts, the system's DNS); with --egress-dns host:port, that DNS server only
// (a corporate resolver, or a test's responder on 127.0.0.1). The caller decides on each resolved address and
// connects to the one it approved, so what a name resolves to later does not matter.
import { lookup } from 'node:dns/promises';
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';

export type ResolveHost = (host: string) => Promise<string[]>;

export class ResolveError extends Error {
  override readonly name = 'ResolveError';
}

/** Parse "host:port", "[v6]:port" or a bare address (port 53) for --egress-dns. */
export function parseDnsServer(text: string): string | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+))(?::(\d{1,5}))?$/.exec(text.trim());
  const host = m && (m[1] ?? m[2]);
  if (!host || !isIP(host)) return null;
  const port = m[3] ? Number(m[3]) : 53;
  if (port < 1 || port > 65535) return null;
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

export function createResolver(dnsServer?: string): ResolveHost {
  if (!dnsServer) {
    return async (host) => {
      if (isIP(host)) return [host];
      try {
        return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
      } catch (err) {
        throw new ResolveError(`cannot resolve ${host} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    };
  }
  const resolver = new Resolver({ timeout: 3000, tries: 2 });
  resolver.setServers([dnsServer]);
  return async (host) => {
    if (isIP(host)) return [host];
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
    const all = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
    if (!all.length) {
      const why = v4.status === 'rejected' ? (v4.reason as NodeJS.ErrnoException).code : 'no address';
      throw new ResolveError(`cannot resolve ${host} (${why})`);
    }
    return all;
  };
}
