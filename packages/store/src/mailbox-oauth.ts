import { z } from "zod";
import { apiKeys } from "./api-keys.js";
import { Sealed, type SecretBox, type SecretContext } from "./secret-box.js";
import type { Store } from "./store.js";

/**
 * OAuth2 settings of a mailbox that logs in with XOAUTH2. The current access token is the mailbox's
 * sealed `password` (what the IMAP login sends); this record holds what is needed to get the next
 * one. Refresh token and client secret are sealed like every other credential.
 */
export interface MailboxOAuth {
  tokenEndpoint: string | null;
  clientId: string | null;
  clientSecret: string | null;
  refreshToken: string | null;
  scope: string | null;
  /** When the current access token expires (ms), null when unknown. */
  expiresAt: number | null;
}

const StoredOAuth = z.object({
  tokenEndpoint: z.string().nullable(),
  clientId: z.string().nullable(),
  clientSecret: Sealed.nullable(),
  refreshToken: Sealed.nullable(),
  scope: z.string().nullable(),
  expiresAt: z.number().nullable(),
});

/** OAuth state of mailboxes, stored beside (not inside) the mailbox record. */
export function createMailboxOAuth(store: Store, prefix: string, secrets: SecretBox) {
  const { redis, keys: k } = store;
  const ak = apiKeys(prefix);
  const cs = (tenantId: string, id: string): SecretContext => ({ kind: "oauth.client-secret", tenantId, id });
  const rt = (tenantId: string, id: string): SecretContext => ({ kind: "oauth.refresh-token", tenantId, id });
  const open = (tenantId: string, id: string, s: z.infer<typeof StoredOAuth>): MailboxOAuth => ({
    ...s,
    clientSecret: s.clientSecret ? secrets.open(s.clientSecret, cs(tenantId, id)) : null,
    refreshToken: s.refreshToken ? secrets.open(s.refreshToken, rt(tenantId, id)) : null,
  });
  return {
    async get(tenantId: string, mailboxId: string): Promise<MailboxOAuth | null> {
      const raw = await redis.hget(ak.mailboxOAuth, k.ref(tenantId, mailboxId));
      return raw ? open(tenantId, mailboxId, StoredOAuth.parse(JSON.parse(raw))) : null;
    },
    async put(tenantId: string, mailboxId: string, o: MailboxOAuth): Promise<void> {
      const stored = StoredOAuth.parse({
        ...o,
        clientSecret: o.clientSecret ? secrets.seal(o.clientSecret, cs(tenantId, mailboxId)) : null,
        refreshToken: o.refreshToken ? secrets.seal(o.refreshToken, rt(tenantId, mailboxId)) : null,
      });
      await redis.hset(ak.mailboxOAuth, k.ref(tenantId, mailboxId), JSON.stringify(stored));
    },
    async delete(tenantId: string, mailboxId: string): Promise<void> {
      await redis.hdel(ak.mailboxOAuth, k.ref(tenantId, mailboxId));
    },
    /** Every mailbox with OAuth settings, as (tenantId, mailboxId, settings). */
    async all(): Promise<{ tenantId: string; mailboxId: string; oauth: MailboxOAuth }[]> {
      const h = await redis.hgetall(ak.mailboxOAuth);
      return Object.entries(h).map(([ref, raw]) => {
        const slash = ref.indexOf("/");
        const tenantId = ref.slice(0, slash);
        const mailboxId = ref.slice(slash + 1);
        return { tenantId, mailboxId, oauth: open(tenantId, mailboxId, StoredOAuth.parse(JSON.parse(raw))) };
      });
    },
    /**
     * A short lock so that two API replicas never refresh the same token at once: providers that
     * rotate refresh tokens invalidate the old one, and the loser would save a dead token.
     */
    async lock(tenantId: string, mailboxId: string, ttlMs: number): Promise<boolean> {
      const ok = await redis.set(ak.oauthLock(k.ref(tenantId, mailboxId)), "1", "PX", ttlMs, "NX");
      return ok === "OK";
    },
    async unlock(tenantId: string, mailboxId: string): Promise<void> {
      await redis.del(ak.oauthLock(k.ref(tenantId, mailboxId)));
    },
  };
}
export type MailboxOAuthStore = ReturnType<typeof createMailboxOAuth>;
