import { randomBytes } from "node:crypto";

const PREFIX = "whsec_";

/**
 * A new signing secret in the Standard Webhooks format: "whsec_" + base64 of 32 random bytes.
 * 32 bytes matches the HMAC-SHA256 block-size guidance and what Svix-compatible receivers expect.
 */
export function generateSecret(): string {
  return `${PREFIX}${randomBytes(32).toString("base64")}`;
}

/**
 * The key bytes of a secret. Accepts the "whsec_" form and, like the reference libraries, a bare
 * base64 string, so secrets imported from another Standard Webhooks sender keep working.
 */
export function secretBytes(secret: string): Buffer {
  const b64 = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new Error("webhook secret is not base64");
  const key = Buffer.from(b64, "base64");
  if (key.length === 0) throw new Error("webhook secret is empty");
  return key;
}
