import { BlockList, isIP } from "node:net";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.js";

export interface ClientAddressOptions {
  /** CIDRs or addresses of reverse proxies whose X-Forwarded-For is believed (API_TRUSTED_PROXIES). */
  trustedProxies: string[];
}

/** Requests without a socket (in-process `app.request`, tests) share this address. */
export const NO_SOCKET = "in-process";

const unmap = (a: string) =>
  a.toLowerCase().startsWith("::ffff:") && isIP(a.slice(7)) === 4 ? a.slice(7) : a;

function trustList(entries: string[]): BlockList {
  const list = new BlockList();
  for (const e of entries) {
    const [net, bits] = e.split("/") as [string, string | undefined];
    const family = isIP(net);
    if (family === 0) throw new Error(`API_TRUSTED_PROXIES: ${JSON.stringify(e)} is not an address or CIDR`);
    const type = family === 4 ? "ipv4" : "ipv6";
    if (bits === undefined) list.addAddress(net, type);
    else list.addSubnet(net, Number(bits), type);
  }
  return list;
}

/**
 * Sets `clientAddress`: the socket's peer address, or, when that peer is a trusted proxy, the
 * nearest address in X-Forwarded-For that is not a trusted proxy (walking from the right: the
 * left end is whatever the client chose to send). Without trusted proxies the header is ignored,
 * so a client cannot pick the address its failed logins are counted under.
 */
export const clientAddress = (opts: ClientAddressOptions): MiddlewareHandler<AppEnv> => {
  const trusted = trustList(opts.trustedProxies);
  const isTrusted = (a: string) => {
    const family = isIP(a);
    return family !== 0 && trusted.check(a, family === 4 ? "ipv4" : "ipv6");
  };
  return async (c, next) => {
    const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
    const peer = env?.incoming?.socket?.remoteAddress;
    let address = peer ? unmap(peer) : NO_SOCKET;
    if (opts.trustedProxies.length > 0 && isTrusted(address)) {
      const hops = (c.req.header("x-forwarded-for") ?? "")
        .split(",")
        .map((h) => unmap(h.trim()))
        .filter(Boolean);
      for (let i = hops.length - 1; i >= 0; i--) {
        const hop = hops[i] as string;
        if (isIP(hop) === 0) break;
        address = hop;
        if (!isTrusted(hop)) break;
      }
    }
    c.set("clientAddress", address);
    await next();
  };
};

/**
 * The bucket failed logins of an address count in: the address itself for IPv4, its /64 for IPv6
 * (one subscriber usually holds a whole /64, so counting single IPv6 addresses counts nothing).
 */
export function failureBucket(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = "", tail = ""] = address.toLowerCase().split("::");
  const left = head ? head.split(":") : [];
  const right = address.includes("::") ? (tail ? tail.split(":") : []) : [];
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}
