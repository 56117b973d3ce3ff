import ipaddr from "ipaddr.js";
import { type AllowList, addressAllowed, hostAllowed } from "./allow-list.js";
import { blockedRange } from "./blocked-ranges.js";
import type { Resolve, ResolvedAddress } from "./resolver.js";

/** The one address a connection may go to, as checked; `servername` is the name TLS verifies. */
export interface CheckedAddress {
  /** What was asked for: the host name (lower case, no trailing dot) or the IP literal. */
  host: string;
  port: number;
  address: string;
  family: 4 | 6;
  /** The host name for SNI and the certificate check; undefined for an IP literal. */
  servername: string | undefined;
}

export type RefusalCode = "DESTINATION_REFUSED" | "DESTINATION_UNRESOLVABLE" | "SETTING_FORBIDDEN";

export interface Refusal {
  ok: false;
  code: RefusalCode;
  /** For the operator's log: names addresses, ranges and DNS codes. */
  reason: string;
  /**
   * For the tenant: never an address the tenant did not type itself, never a DNS answer, and it
   * names the setting that would allow the destination.
   */
  message: string;
  /** True only for DNS failures at delivery time (the name may resolve later). */
  retryable: boolean;
}

export type Verdict = ({ ok: true } & CheckedAddress) | Refusal;

export function refusal(code: RefusalCode, reason: string, message = reason, retryable = false): Refusal {
  return { ok: false, code, reason, message, retryable };
}

/**
 * Resolves `host` once and checks every address it has: all of them must be public or inside the
 * allow-list (for this port), since a connection could land on any of them. A name on the
 * allow-list (with this port) admits whatever it resolves to. IPv4-mapped, NAT64, 6to4 and
 * IPv4-translated IPv6 addresses are judged by the IPv4 address they carry. A name that does not
 * resolve is refused: there is nothing to check, so nothing may be contacted.
 */
export async function checkAddress(
  host: string,
  port: number,
  allow: AllowList,
  resolve: Resolve,
  setting: string,
): Promise<Verdict> {
  const literal = ipaddr.isValid(host);
  const name = literal ? ipaddr.parse(host).toString() : host.toLowerCase().replace(/\.$/, "");
  const notAllowed = `destination not allowed: ${name} does not resolve to an allowed address; an operator can allow it (with its port) in ${setting}`;
  let addresses: ResolvedAddress[];
  if (literal) {
    addresses = [{ address: host, family: ipaddr.parse(host).kind() === "ipv4" ? 4 : 6 }];
  } else {
    try {
      addresses = await resolve(name);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      return refusal("DESTINATION_UNRESOLVABLE", `DNS lookup of ${name} failed: ${code}`, notAllowed, true);
    }
    if (addresses.length === 0)
      return refusal(
        "DESTINATION_UNRESOLVABLE",
        `DNS lookup of ${name} returned no address`,
        notAllowed,
        true,
      );
  }

  const nameAllowed = !literal && hostAllowed(allow, name, port);
  for (const { address } of addresses) {
    if (!ipaddr.isValid(address))
      return refusal(
        "DESTINATION_REFUSED",
        `${name} resolved to an unparseable address ${address}`,
        notAllowed,
      );
    if (nameAllowed) continue;
    const parsed = ipaddr.parse(address);
    if (addressAllowed(allow, parsed, port) || addressAllowed(allow, ipaddr.process(address), port)) continue;
    const why = blockedRange(parsed);
    if (!why) continue;
    if (literal) {
      // The tenant typed this address: naming its range reveals nothing and says what to fix.
      const reason = `${address} is ${why}`;
      return refusal(
        "DESTINATION_REFUSED",
        reason,
        `destination not allowed: ${reason}; an operator can allow it (with its port) in ${setting}`,
      );
    }
    return refusal("DESTINATION_REFUSED", `${name} resolves to ${address}, which is ${why}`, notAllowed);
  }

  const first = addresses[0]!;
  return {
    ok: true,
    host: name,
    port,
    address: first.address,
    family: first.family,
    servername: literal ? undefined : name,
  };
}
