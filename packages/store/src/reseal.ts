import { apiKeys } from "./api-keys.js";
import { expireStaleIdempotency } from "./idempotency.js";
import { createMailboxOAuth } from "./mailbox-oauth.js";
import { Sealed, type SecretBox } from "./secret-box.js";
import type { Store } from "./store.js";

export interface ResealResult {
  mailboxes: number;
  endpoints: number;
  oauth: number;
  /** Idempotency records made under an older key, deleted (see `expireStaleIdempotency`). */
  idempotency: number;
}

/**
 * True when this stored record needs a rewrite: a sealed value under an older key or in the old
 * format (no associated data), or custom headers still in clear.
 */
function needsRewrite(raw: string, secrets: SecretBox): boolean {
  let stale = false;
  JSON.parse(raw, (key, value: unknown) => {
    if (key === "headers" && value && typeof value === "object") stale = true;
    const s = Sealed.safeParse(value);
    if (s.success && secrets.isStale(s.data)) stale = true;
    return value;
  });
  return stale;
}

/**
 * Re-encrypts every stored secret (IMAP passwords and access tokens, webhook secrets and custom
 * headers, OAuth refresh tokens and client secrets) that was sealed with an older key or in the
 * older format, under the current key and bound to its record; expires idempotency records made
 * under an older key. This is the second half of a key rollover: put the new key first in
 * MAILHOOK_ENCRYPTION_KEYS (keeping the old one listed), run this, then drop the old key. Records
 * already current are not touched, so it is safe to run at every start and from several replicas.
 */
export async function resealSecrets(store: Store, prefix: string, secrets: SecretBox): Promise<ResealResult> {
  const { redis, keys: k } = store;
  const result: ResealResult = { mailboxes: 0, endpoints: 0, oauth: 0, idempotency: 0 };

  for (const [ref, raw] of Object.entries(await redis.hgetall(k.mailboxes))) {
    if (!needsRewrite(raw, secrets)) continue;
    const { tenantId, id } = JSON.parse(raw) as { tenantId: string; id: string };
    const m = await store.getMailbox(tenantId, id);
    if (m && k.ref(tenantId, id) === ref) {
      await store.putMailbox(m);
      result.mailboxes++;
    }
  }
  for (const tenantId of await store.listTenants()) {
    for (const [id, raw] of Object.entries(await redis.hgetall(k.endpoints(tenantId)))) {
      if (!needsRewrite(raw, secrets)) continue;
      const e = await store.getEndpoint(tenantId, id);
      if (e) {
        await store.putEndpoint(e);
        result.endpoints++;
      }
    }
  }
  const oauth = createMailboxOAuth(store, prefix, secrets);
  for (const [ref, raw] of Object.entries(await redis.hgetall(apiKeys(prefix).mailboxOAuth))) {
    if (!needsRewrite(raw, secrets)) continue;
    const slash = ref.indexOf("/");
    const tenantId = ref.slice(0, slash);
    const mailboxId = ref.slice(slash + 1);
    const o = await oauth.get(tenantId, mailboxId);
    if (o) {
      await oauth.put(tenantId, mailboxId, o);
      result.oauth++;
    }
  }
  result.idempotency = await expireStaleIdempotency(redis, prefix, secrets);
  return result;
}
