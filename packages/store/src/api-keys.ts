/**
 * Redis keys of the API's own records (tenants, tokens, idempotency, rate limits, OAuth state).
 * Kept apart from keys.ts so the pipeline's key map stays what the watcher and worker need.
 */
export function apiKeys(prefix: string) {
  return {
    tenantRecords: `${prefix}:tenant-records`,
    /** sha256(token) → token record: the only place a token can be looked up from. */
    tokenHashes: `${prefix}:token-hashes`,
    tenantTokens: (tenantId: string) => `${prefix}:tenant-tokens:${tenantId}`,
    idempotency: (tenantId: string, scope: string, key: string) =>
      `${prefix}:idem:${tenantId}:${scope}:${key}`,
    rateLimit: (subject: string, window: number) => `${prefix}:rl:${subject}:${window}`,
    /** Failed authentications from one client address (expires with its window). */
    authFailures: (address: string) => `${prefix}:auth-failures:${address}`,
    mailboxOAuth: `${prefix}:mailbox-oauth`,
    oauthLock: (ref: string) => `${prefix}:oauth-lock:${ref}`,
    /** tenant id → the operator's extra outbound allow-list entries for it (JSON). */
    tenantOutbound: `${prefix}:tenant-outbound`,
    secretExpiry: (tenantId: string) => `${prefix}:endpoint-secret-expiry:${tenantId}`,
    backfill: (tenantId: string, id: string) => `${prefix}:backfill:${tenantId}:${id}`,
    /** The operator's quota overrides for one tenant (hash: quota name → limit). */
    quotas: (tenantId: string) => `${prefix}:quotas:${tenantId}`,
    /** Held while a quota is checked and the resource written, so parallel creates cannot overshoot. */
    quotaLock: (tenantId: string) => `${prefix}:quota-lock:${tenantId}`,
  };
}
export type ApiKeys = ReturnType<typeof apiKeys>;
