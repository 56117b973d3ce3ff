import { z } from "zod";
import { apiKeys } from "./api-keys.js";
import type { RedisClient } from "./redis-client.js";

/** Allow-list entries an operator added for one tenant, on top of WEBHOOK_ALLOW / IMAP_ALLOW. */
export const TenantOutbound = z.object({
  http: z.array(z.string()).default([]),
  imap: z.array(z.string()).default([]),
});
export type TenantOutbound = z.infer<typeof TenantOutbound>;

/**
 * Per-tenant outbound allow-lists, set only through the admin API. One hash for all tenants: the
 * watcher, worker and API read a tenant's entry at every connect check.
 */
export function createTenantOutbound(opts: { redis: RedisClient; prefix: string }) {
  const key = apiKeys(opts.prefix).tenantOutbound;
  return {
    async get(tenantId: string): Promise<TenantOutbound | null> {
      const raw = await opts.redis.hget(key, tenantId);
      return raw ? TenantOutbound.parse(JSON.parse(raw)) : null;
    },
    /** Empty lists remove the entry. */
    async set(tenantId: string, value: TenantOutbound): Promise<void> {
      const v = TenantOutbound.parse(value);
      if (v.http.length === 0 && v.imap.length === 0) await opts.redis.hdel(key, tenantId);
      else await opts.redis.hset(key, tenantId, JSON.stringify(v));
    },
  };
}
export type TenantOutboundStore = ReturnType<typeof createTenantOutbound>;
