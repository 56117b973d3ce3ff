import pkg from "../package.json" with { type: "json" };
import { signPayload } from "./sign.js";

export const USER_AGENT = `mailhook/${pkg.version}`;

/**
 * Headers a custom endpoint header may not set: the signature headers (overriding them would break
 * verification or forge a retry identity) and the framing headers the HTTP client owns.
 */
const RESERVED = new Set([
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
  "content-type",
  "content-length",
  "transfer-encoding",
  "connection",
  "host",
]);

/** True when a custom endpoint header would be dropped; the API can use it to reject such config early. */
export function isReservedHeader(name: string): boolean {
  return RESERVED.has(name.toLowerCase());
}

export interface WebhookHeadersArgs {
  id: string;
  /** Unix seconds. */
  timestamp: number;
  body: string;
  secrets: string[];
  /** Custom endpoint headers (e.g. an Authorization for the receiver). Reserved names are ignored. */
  extra?: Record<string, string>;
}

/**
 * The request headers of one delivery attempt: content-type, the three Standard Webhooks headers,
 * user-agent "mailhook/<version>" and the endpoint's custom headers. All names lower-case.
 */
export function webhookHeaders(args: WebhookHeadersArgs): Record<string, string> {
  const headers: Record<string, string> = { "user-agent": USER_AGENT };
  for (const [name, value] of Object.entries(args.extra ?? {})) {
    const lower = name.toLowerCase();
    if (!RESERVED.has(lower)) headers[lower] = value;
  }
  headers["content-type"] = "application/json";
  headers["webhook-id"] = args.id;
  headers["webhook-timestamp"] = String(args.timestamp);
  headers["webhook-signature"] = signPayload(args);
  return headers;
}
