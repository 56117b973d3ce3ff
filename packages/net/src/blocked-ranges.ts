import ipaddr from "ipaddr.js";

type IPv4 = ipaddr.IPv4;
type IPv6 = ipaddr.IPv6;

interface Range<A> {
  net: A;
  bits: number;
  cidr: string;
  label: string;
}

// "name|note" → name "name", label "name (note, cidr)" as used in refusal reasons.
function v4(cidr: string, spec: string): Range<IPv4> {
  const [net, bits] = ipaddr.IPv4.parseCIDR(cidr);
  return { net, bits, cidr, label: label(spec, cidr) };
}

function v6(cidr: string, spec: string): Range<IPv6> {
  const [net, bits] = ipaddr.IPv6.parseCIDR(cidr);
  return { net, bits, cidr, label: label(spec, cidr) };
}

function label(spec: string, cidr: string): string {
  const [name, note] = spec.split("|");
  return note ? `${name} (${note}, ${cidr})` : `${name} (${cidr})`;
}

// Own table rather than ipaddr's range() names: the refusal reason must name the exact range, and
// the list has to stay stable when the library adds or renames ranges. Order matters: most specific first.
const BLOCKED_V4: Range<IPv4>[] = [
  v4("255.255.255.255/32", "broadcast"),
  v4("0.0.0.0/8", "unspecified|this network"),
  v4("10.0.0.0/8", "private|RFC 1918"),
  v4("100.64.0.0/10", "carrier-grade NAT|RFC 6598"),
  v4("127.0.0.0/8", "loopback"),
  v4("169.254.0.0/16", "link-local|includes cloud metadata 169.254.169.254"),
  v4("172.16.0.0/12", "private|RFC 1918"),
  v4("192.0.0.0/24", "reserved|IETF protocol assignments"),
  v4("192.0.2.0/24", "reserved|documentation TEST-NET-1"),
  v4("192.88.99.0/24", "reserved|6to4 relay anycast"),
  v4("192.168.0.0/16", "private|RFC 1918"),
  v4("198.18.0.0/15", "reserved|benchmarking"),
  v4("198.51.100.0/24", "reserved|documentation TEST-NET-2"),
  v4("203.0.113.0/24", "reserved|documentation TEST-NET-3"),
  v4("224.0.0.0/4", "multicast"),
  v4("240.0.0.0/4", "reserved|class E"),
];

const BLOCKED_V6: Range<IPv6>[] = [
  v6("::/128", "unspecified"),
  v6("::1/128", "loopback"),
  v6("64:ff9b:1::/48", "NAT64 local-use|RFC 8215"),
  v6("2001::/32", "Teredo tunnel|embeds an obfuscated IPv4"),
  v6("2001::/23", "reserved|IETF protocol assignments"),
  v6("2001:db8::/32", "reserved|documentation"),
  v6("3fff::/20", "reserved|documentation"),
  v6("100::/64", "discard-only|RFC 6666"),
  v6("fc00::/7", "unique-local"),
  v6("fe80::/10", "link-local"),
  v6("fec0::/10", "site-local|deprecated"),
  v6("ff00::/8", "multicast"),
];

// Forms that carry an IPv4 address inside an IPv6 one: the v4 is what is reached in the end,
// so it is judged instead (::ffff:127.0.0.1 must not slip through as "some IPv6").
const EMBEDDING_V6: { range: Range<IPv6>; extract: (a: IPv6) => IPv4 }[] = [
  { range: v6("::ffff:0:0/96", "IPv4-mapped"), extract: (a) => low32(a) },
  { range: v6("::ffff:0:0:0/96", "IPv4-translated|RFC 6145"), extract: (a) => low32(a) },
  { range: v6("64:ff9b::/96", "NAT64|RFC 6052"), extract: (a) => low32(a) },
  { range: v6("2002::/16", "6to4"), extract: (a) => fromWords(a.parts[1] ?? 0, a.parts[2] ?? 0) },
];

const GLOBAL_UNICAST_V6 = v6("2000::/3", "global unicast");

function low32(a: IPv6): IPv4 {
  return fromWords(a.parts[6] ?? 0, a.parts[7] ?? 0);
}

function fromWords(hi: number, lo: number): IPv4 {
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
}

/**
 * What kind of non-public address this is ("loopback (127.0.0.0/8)"), or null for a public unicast
 * address. Callers phrase it: "127.0.0.1 is loopback (127.0.0.0/8)".
 */
export function blockedRange(address: ipaddr.IPv4 | ipaddr.IPv6): string | null {
  if (address.kind() === "ipv4") {
    const a = address as IPv4;
    return BLOCKED_V4.find((r) => a.match(r.net, r.bits))?.label ?? null;
  }
  const a = address as IPv6;
  for (const { range, extract } of EMBEDDING_V6) {
    if (!a.match(range.net, range.bits)) continue;
    const inner = extract(a);
    const why = blockedRange(inner);
    return why ? `${range.label} for ${inner.toString()}, which is ${why}` : null;
  }
  const hit = BLOCKED_V6.find((r) => a.match(r.net, r.bits));
  if (hit) return hit.label;
  if (!a.match(GLOBAL_UNICAST_V6.net, GLOBAL_UNICAST_V6.bits)) {
    return `not global unicast (outside ${GLOBAL_UNICAST_V6.cidr})`;
  }
  return null;
}
