import pkg from "../package.json" with { type: "json" };
import { signPayload } from "./sign.js";

export const USER_AGENT = `mailhook/${pkg.version}`;

/**
 * Headers a custom endpoint header may not set: the signature headers (overriding them would break
 * verification or forge a retry identity) and the content headers mailhook owns.
 */
const RESERVED = new Set([
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
  "content-type",
  "content-length",
]);

/**
 * Hop-by-hop, framing and forwarding headers: a tenant could use them to smuggle a second request
 * through a proxy in front of the receiver (Transfer-Encoding, Connection, Upgrade, Expect, TE), make
 * the receiver misread the body (Content-Encoding), or pose as a proxy that vouches for a client
 * address (X-Forwarded-*, Forwarded, Via, Proxy-*).
 */
const HOP_BY_HOP = new Set([
  "host",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "expect",
  "content-encoding",
  "forwarded",
  "via",
]);
const HOP_BY_HOP_PREFIX = /^(x-forwarded-|proxy-)/;

/**
 * Why a custom endpoint header name may not be set, or null when it may. The API refuses such
 * headers at save (400 naming them); delivery drops them from endpoints stored before.
 */
export function customHeaderProblem(name: string): string | null {
  const lower = name.toLowerCase();
  if (RESERVED.has(lower)) return "reserved: mailhook sets this header itself";
  if (HOP_BY_HOP.has(lower) || HOP_BY_HOP_PREFIX.test(lower))
    return "not allowed: hop-by-hop, framing or forwarding headers cannot be set on an endpoint";
  return null;
}

export interface WebhookHeadersArgs {
  id: string;
  /** Unix seconds. */
  timestamp: number;
  body: string;
  secrets: string[];
  /** Custom endpoint headers (e.g. an Authorization for the receiver). Refused names are ignored. */
  extra?: Record<string, string>;
}

/**
 * The request headers of one delivery attempt: content-type, the three Standard Webhooks headers,
 * user-agent "mailhook/<version>" and the endpoint's custom headers. All names lower-case.
 */
export function webhookHeaders(args: WebhookHeadersArgs): Record<string, string> {
  const headers: Record<string, string> = { "user-agent": USER_AGENT };
  for (const [name, value] of Object.entries(args.extra ?? {})) {
    if (customHeaderProblem(name) === null) headers[name.toLowerCase()] = value;
  }
  headers["content-type"] = "application/json";
  headers["webhook-id"] = args.id;
  headers["webhook-timestamp"] = String(args.timestamp);
  headers["webhook-signature"] = signPayload(args);
  return headers;
}
