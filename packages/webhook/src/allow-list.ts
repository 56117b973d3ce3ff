import ipaddr from "ipaddr.js";

/** A parsed allow-list: CIDRs (a bare address counts as /32 or /128) and host names. */
export interface AllowList {
  cidrs: [ipaddr.IPv4 | ipaddr.IPv6, number][];
  /** Lower-case names without trailing dot; "*.example.internal" matches any subdomain. */
  hosts: string[];
}

/**
 * Parses allow-list entries (from the environment). Throws on a malformed CIDR so a typo such as
 * "10.0.0.0/33" fails at boot instead of silently allowing nothing.
 */
export function parseAllowList(entries: string[]): AllowList {
  const list: AllowList = { cidrs: [], hosts: [] };
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === "") continue;
    if (entry.includes("/")) {
      list.cidrs.push(ipaddr.parseCIDR(entry));
    } else if (ipaddr.isValid(entry)) {
      const addr = ipaddr.parse(entry);
      list.cidrs.push([addr, addr.kind() === "ipv4" ? 32 : 128]);
    } else {
      list.hosts.push(normaliseHost(entry));
    }
  }
  return list;
}

export function hostAllowed(list: AllowList, hostname: string): boolean {
  const host = normaliseHost(hostname);
  return list.hosts.some((h) => (h.startsWith("*.") ? host.endsWith(h.slice(1)) : host === h));
}

export function addressAllowed(list: AllowList, address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  return list.cidrs.some(([net, bits]) => net.kind() === address.kind() && address.match(net, bits));
}

function normaliseHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, "");
}
