import { apiKeys } from "./api-keys.js";
import { createMailboxOAuth } from "./mailbox-oauth.js";
import type { SecretBox } from "./secret-box.js";
import type { Store } from "./store.js";

export interface ResealResult {
  mailboxes: number;
  endpoints: number;
  oauth: number;
}

/** True when any sealed value in this JSON was sealed with a key other than `current`. */
function sealedWithOlderKey(json: string, current: string): boolean {
  const kids = [...json.matchAll(/"kid":"([^"]*)"/g)].map((m) => m[1]);
  return kids.some((kid) => kid !== current);
}

/**
 * Re-encrypts every stored secret (IMAP passwords and access tokens, webhook secrets, OAuth refresh
 * tokens and client secrets) that was sealed with an older key, under the current one. This is the
 * second half of a key rollover: put the new key first in MAILHOOK_ENCRYPTION_KEYS (keeping the old
 * one listed), run this, then drop the old key. Records already under the current key are not
 * touched, so it is safe to run at every start and from several replicas.
 */
export async function resealSecrets(store: Store, prefix: string, secrets: SecretBox): Promise<ResealResult> {
  const { redis, keys: k } = store;
  const current = secrets.currentKeyId;
  const result: ResealResult = { mailboxes: 0, endpoints: 0, oauth: 0 };

  for (const [ref, raw] of Object.entries(await redis.hgetall(k.mailboxes))) {
    if (!sealedWithOlderKey(raw, current)) continue;
    const { tenantId, id } = JSON.parse(raw) as { tenantId: string; id: string };
    const m = await store.getMailbox(tenantId, id);
    if (m && k.ref(tenantId, id) === ref) {
      await store.putMailbox(m);
      result.mailboxes++;
    }
  }
  for (const tenantId of await store.listTenants()) {
    for (const [id, raw] of Object.entries(await redis.hgetall(k.endpoints(tenantId)))) {
      if (!sealedWithOlderKey(raw, current)) continue;
      const e = await store.getEndpoint(tenantId, id);
      if (e) {
        await store.putEndpoint(e);
        result.endpoints++;
      }
    }
  }
  const oauth = createMailboxOAuth(store, prefix, secrets);
  for (const [ref, raw] of Object.entries(await redis.hgetall(apiKeys(prefix).mailboxOAuth))) {
    if (!sealedWithOlderKey(raw, current)) continue;
    const slash = ref.indexOf("/");
    const tenantId = ref.slice(0, slash);
    const mailboxId = ref.slice(slash + 1);
    const o = await oauth.get(tenantId, mailboxId);
    if (o) {
      await oauth.put(tenantId, mailboxId, o);
      result.oauth++;
    }
  }
  return result;
}
