import { createHmac } from "node:crypto";
import { secretBytes } from "./secret.js";

export interface SignPayloadArgs {
  /** webhook-id: stable across retries of one delivery, so receivers can deduplicate. */
  id: string;
  /** Unix seconds; receivers reject timestamps outside a tolerance (5 minutes in the reference libraries). */
  timestamp: number;
  /** The exact bytes sent as the request body. */
  body: string;
  /** Active secrets, newest first. Several during a rotation overlap: each yields one signature. */
  secrets: string[];
}

/**
 * The `webhook-signature` header value of Standard Webhooks: space-separated "v1,<base64 HMAC-SHA256>"
 * over `${id}.${timestamp}.${body}`, one per secret, so a receiver holding either the old or the new
 * secret verifies during rotation.
 *
 * @example
 * signPayload({ id: "msg_1", timestamp: 1_700_000_000, body: "{}", secrets: [generateSecret()] })
 * // "v1,<44 base64 characters>"
 */
export function signPayload(args: SignPayloadArgs): string {
  if (args.secrets.length === 0) throw new Error("signPayload needs at least one secret");
  if (!Number.isInteger(args.timestamp)) throw new Error("timestamp must be whole unix seconds");
  const content = `${args.id}.${args.timestamp}.${args.body}`;
  return args.secrets
    .map(
      (secret) => `v1,${createHmac("sha256", secretBytes(secret)).update(content, "utf8").digest("base64")}`,
    )
    .join(" ");
}
