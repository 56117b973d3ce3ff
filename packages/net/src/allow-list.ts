import ipaddr from "ipaddr.js";

/** `null` = every port. */
type Port = number | null;

/** A parsed allow-list: CIDRs (a bare address counts as /32 or /128) and host names, each with an optional port. */
export interface AllowList {
  cidrs: { net: ipaddr.IPv4 | ipaddr.IPv6; bits: number; port: Port }[];
  /** Lower-case names without trailing dot; "*.example.internal" matches any subdomain. */
  hosts: { name: string; port: Port }[];
}

/** A malformed allow-list entry; the message names the entry and the accepted forms. */
export class AllowListError extends Error {
  constructor(readonly entry: string) {
    super(
      `allow-list entry ${JSON.stringify(entry)} is not an address, CIDR or host name with an optional port ` +
        `(e.g. 10.0.0.0/8, 127.0.0.1:1143, [::1]:8080, imap.corp:993)`,
    );
    this.name = "AllowListError";
  }
}

const HOST_NAME = /^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;

/**
 * Parses allow-list entries (WEBHOOK_ALLOW, IMAP_ALLOW, a tenant's list). Forms: `10.0.0.0/8`,
 * `127.0.0.1`, `::1`, `127.0.0.1:1143`, `[::1]:8080`, `10.0.0.0/8:443`, `[fd00::/8]:993`,
 * `hooks.internal`, `*.corp:8443`. An entry without a port admits every port. Throws
 * AllowListError on anything else, so a typo such as "10.0.0.0/33" fails at boot instead of
 * silently allowing nothing.
 */
export function parseAllowList(entries: readonly string[]): AllowList {
  const list: AllowList = { cidrs: [], hosts: [] };
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === "") continue;
    const parsed = parseEntry(entry.toLowerCase());
    if (!parsed) throw new AllowListError(entry);
    if ("name" in parsed) list.hosts.push(parsed);
    else list.cidrs.push(parsed);
  }
  return list;
}

type Entry = AllowList["cidrs"][number] | AllowList["hosts"][number];

function parseEntry(entry: string): Entry | null {
  let body = entry;
  let port: Port = null;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracket) {
    body = bracket[1]!;
    port = bracket[2] === undefined ? null : toPort(bracket[2]);
  } else if (!ipaddr.IPv6.isValid(entry.split("/")[0]!)) {
    // Anything but a bare IPv6 address may end in ":port" (an IPv6 one needs brackets for that).
    const m = /^(.*):(\d+)$/.exec(entry);
    if (m) {
      body = m[1]!;
      port = toPort(m[2]!);
    }
  }
  if (Number.isNaN(port)) return null;
  if (body.includes("/")) {
    try {
      const [net, bits] = ipaddr.parseCIDR(body);
      return { net, bits, port };
    } catch {
      return null;
    }
  }
  if (ipaddr.IPv4.isValidFourPartDecimal(body) || ipaddr.IPv6.isValid(body)) {
    const addr = ipaddr.parse(body);
    return { net: addr, bits: addr.kind() === "ipv4" ? 32 : 128, port };
  }
  const name = body.replace(/\.$/, "");
  if (bracket || !HOST_NAME.test(name) || /^[\d.]+$/.test(name)) return null;
  return { name, port };
}

function toPort(s: string): number {
  const n = Number(s);
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? n : Number.NaN;
}

const portOk = (entry: Port, port: number) => entry === null || entry === port;

export function hostAllowed(list: AllowList, hostname: string, port: number): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  return list.hosts.some(
    (h) =>
      portOk(h.port, port) && (h.name.startsWith("*.") ? host.endsWith(h.name.slice(1)) : host === h.name),
  );
}

export function addressAllowed(list: AllowList, address: ipaddr.IPv4 | ipaddr.IPv6, port: number): boolean {
  return list.cidrs.some(
    (c) => portOk(c.port, port) && c.net.kind() === address.kind() && address.match(c.net, c.bits),
  );
}

/** Both lists in one (global + a tenant's). */
export function mergeAllowLists(a: AllowList, b: AllowList): AllowList {
  return { cidrs: [...a.cidrs, ...b.cidrs], hosts: [...a.hosts, ...b.hosts] };
}
