import dns from "node:dns";
import ipaddr from "ipaddr.js";
import { type AllowList, addressAllowed, hostAllowed, parseAllowList } from "./allow-list.js";
import { blockedRange } from "./blocked-ranges.js";

export interface CheckDestinationOptions {
  /** CIDRs ("127.0.0.1/32", "10.0.0.0/8"), bare addresses, or host names ("hooks.internal", "*.corp"). */
  allow: string[];
  /** DNS resolver, injectable for tests; defaults to the system resolver (getaddrinfo). */
  lookup?: typeof dns.lookup;
}

export type DestinationCheck =
  | { ok: true; url: URL; address: string; family: 4 | 6 }
  /** `retryable` is true only for DNS failures (the name may resolve later); refusals are final. */
  | { ok: false; reason: string; retryable: boolean };

/**
 * Decides whether a webhook URL may be contacted, and pins the address to connect to so a second DNS
 * answer cannot swap in an internal address (DNS rebinding). Every resolved address must be public:
 * a name with one public and one private address is refused, because the connection could land on
 * either. Allow-list entries override: a listed host name skips the address check, a listed CIDR
 * admits addresses inside it.
 *
 * IPv4 literals in any notation (`2130706433`, `0x7f.1`, `017700000001`) are normalised to dotted
 * quads by the WHATWG URL parser before they are judged; IPv4-mapped, IPv4-translated, NAT64 and
 * 6to4 IPv6 addresses are judged by the IPv4 address they carry.
 *
 * @example
 * const dest = await checkDestination("https://hooks.example.com/in", { allow: [] });
 * if (dest.ok) await deliver({ url: dest.url, address: dest.address, family: dest.family, ... });
 */
export async function checkDestination(
  url: string,
  opts: CheckDestinationOptions,
): Promise<DestinationCheck> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse("not a valid URL");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return refuse(`scheme ${parsed.protocol.replace(/:$/, "")} is not allowed (http or https only)`);
  }
  if (parsed.username !== "" || parsed.password !== "") {
    // deliver() does not send them, and URLs end up in logs and delivery records: custom headers carry auth.
    return refuse("credentials in the URL are not supported (use a custom Authorization header)");
  }
  const allow: AllowList = parseAllowList(opts.allow);
  const host = parsed.hostname.startsWith("[") ? parsed.hostname.slice(1, -1) : parsed.hostname;
  const nameAllowed = hostAllowed(allow, host);

  let addresses: { address: string; family: number }[];
  if (ipaddr.isValid(host)) {
    addresses = [{ address: host, family: ipaddr.parse(host).kind() === "ipv4" ? 4 : 6 }];
  } else {
    try {
      addresses = await lookupAll(opts.lookup ?? dns.lookup, host);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      // ENOTFOUND can be a name not yet published; the retry schedule gives it a day to appear.
      return { ok: false, reason: `DNS lookup of ${host} failed: ${code}`, retryable: true };
    }
    if (addresses.length === 0) {
      return { ok: false, reason: `DNS lookup of ${host} returned no address`, retryable: true };
    }
  }

  for (const { address } of addresses) {
    if (!ipaddr.isValid(address)) return refuse(`${host} resolved to an unparseable address ${address}`);
    if (nameAllowed) continue;
    const parsedAddr = ipaddr.parse(address);
    if (addressAllowed(allow, parsedAddr) || addressAllowed(allow, ipaddr.process(address))) continue;
    const why = blockedRange(parsedAddr);
    if (why)
      return refuse(
        address === host ? `${address} is ${why}` : `${host} resolves to ${address}, which is ${why}`,
      );
  }

  const first = addresses[0]!;
  return { ok: true, url: parsed, address: first.address, family: first.family === 6 ? 6 : 4 };
}

function refuse(reason: string): DestinationCheck {
  return { ok: false, reason, retryable: false };
}

function lookupAll(lookup: typeof dns.lookup, host: string): Promise<{ address: string; family: number }[]> {
  return new Promise((resolve, reject) => {
    lookup(host, { all: true }, (err, addresses) => {
      if (err) reject(err);
      else resolve(addresses);
    });
  });
}
