import type dns from "node:dns";
import {
  createOutboundPolicy,
  type OutboundPolicy,
  type OutboundPolicyOptions,
  type Resolve,
  resolverFromLookup,
} from "@mailhook/net";

/**
 * Test DNS without a network: names under `.test` (RFC 2606) and `localhost` resolve to 127.0.0.1,
 * everything else is NXDOMAIN. Suites that test DNS itself run a real DNS server (dns-server.ts).
 */
export const testResolve: Resolve = async (host) => {
  if (host === "localhost" || host.endsWith(".test")) return [{ address: "127.0.0.1", family: 4 }];
  throw Object.assign(new Error(`queryA ENOTFOUND ${host}`), { code: "ENOTFOUND" });
};

/**
 * The outbound policy most suites use: Dovecot and receivers on 127.0.0.1 are allowed (as an
 * operator would list them in IMAP_ALLOW / WEBHOOK_ALLOW), the rest of the rules as in production.
 */
export function testOutbound(
  opts: OutboundPolicyOptions & { lookup?: typeof dns.lookup } = {},
): OutboundPolicy {
  const { lookup, ...rest } = opts;
  return createOutboundPolicy({
    allow: { http: ["127.0.0.1/32"], imap: ["127.0.0.1/32"] },
    resolve: lookup ? resolverFromLookup(lookup) : testResolve,
    ...rest,
  });
}
