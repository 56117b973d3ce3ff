import dns from "node:dns";

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every address of a name; rejects with an error carrying a DNS `code` (ENOTFOUND, ETIMEOUT, …). */
export type Resolve = (host: string) => Promise<ResolvedAddress[]>;

export interface ResolverOptions {
  /**
   * DNS servers to ask directly (`"10.0.0.53"`, `"127.0.0.1:5353"`, `"[::1]:53"`), A and AAAA
   * queries. Empty or absent: the system resolver (getaddrinfo: /etc/hosts, search domains).
   */
  servers?: readonly string[];
  /** Per query attempt, with the servers (default 2,000 ms, 2 tries). */
  timeoutMs?: number;
}

/**
 * The resolver the outbound policy asks, once per connection. With `servers` it queries them
 * over the network (MAILHOOK_DNS_SERVERS), which is also what the attack suite points at its own
 * DNS server on loopback.
 */
export function createResolver(opts: ResolverOptions = {}): Resolve {
  const servers = opts.servers ?? [];
  if (servers.length === 0) return resolverFromLookup(dns.lookup);
  const resolver = new dns.promises.Resolver({ timeout: opts.timeoutMs ?? 2_000, tries: 2 });
  resolver.setServers([...servers]);
  return async (host) => {
    const [v4, v6] = await Promise.allSettled([resolver.resolve4(host), resolver.resolve6(host)]);
    const out: ResolvedAddress[] = [];
    if (v4.status === "fulfilled") for (const address of v4.value) out.push({ address, family: 4 });
    if (v6.status === "fulfilled") for (const address of v6.value) out.push({ address, family: 6 });
    if (out.length > 0) return out;
    // No address: the more telling error wins (a timeout over "no such name" over "no AAAA").
    const errors = [v4, v6].flatMap((r) =>
      r.status === "rejected" ? [r.reason as NodeJS.ErrnoException] : [],
    );
    const rank = (e: NodeJS.ErrnoException) => (e.code === "ENODATA" ? 0 : e.code === "ENOTFOUND" ? 1 : 2);
    throw errors.sort((a, b) => rank(b) - rank(a))[0] ?? dnsError("ENODATA", host);
  };
}

/** A Resolve on top of a `dns.lookup`-shaped function (`{ all: true }`), e.g. a test's fixed table. */
export function resolverFromLookup(lookup: typeof dns.lookup): Resolve {
  return (host) =>
    new Promise((resolve, reject) => {
      lookup(host, { all: true }, (err, addresses) => {
        if (err) reject(err);
        else resolve(addresses.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 })));
      });
    });
}

function dnsError(code: string, host: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code} ${host}`), { code });
}
