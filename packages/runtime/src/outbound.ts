import { createOutboundPolicy, createResolver, type OutboundPolicy, type TenantAllow } from "@mailhook/net";
import { createTenantOutbound, type RedisClient } from "@mailhook/store";
import type { Env } from "./env.js";

/** How long a tenant's allow-list is reused before Redis is asked again (one HGET per connect otherwise). */
const TENANT_ALLOW_CACHE_MS = 1_000;

/**
 * The outbound policy every service uses, from the environment: WEBHOOK_ALLOW / IMAP_ALLOW, the
 * operator's per-tenant lists in Redis, MAILHOOK_DNS_SERVERS and the TLS / https switches.
 */
export function createOutbound(
  env: Pick<
    Env,
    | "WEBHOOK_ALLOW"
    | "IMAP_ALLOW"
    | "MAILHOOK_DNS_SERVERS"
    | "WEBHOOK_REQUIRE_HTTPS"
    | "IMAP_REQUIRE_TLS"
    | "IMAP_REQUIRE_TLS_VERIFY"
    | "MAILHOOK_PREFIX"
  >,
  redis: RedisClient,
): OutboundPolicy {
  const tenants = createTenantOutbound({ redis, prefix: env.MAILHOOK_PREFIX });
  const cache = new Map<string, { at: number; value: Promise<TenantAllow | null> }>();
  return createOutboundPolicy({
    allow: { http: env.WEBHOOK_ALLOW, imap: env.IMAP_ALLOW },
    resolve: createResolver({ servers: env.MAILHOOK_DNS_SERVERS }),
    requireHttps: env.WEBHOOK_REQUIRE_HTTPS,
    requireTls: env.IMAP_REQUIRE_TLS,
    requireTlsVerify: env.IMAP_REQUIRE_TLS_VERIFY,
    tenantAllow: (tenantId) => {
      const hit = cache.get(tenantId);
      if (hit && Date.now() - hit.at < TENANT_ALLOW_CACHE_MS) return hit.value;
      const value = tenants.get(tenantId);
      if (cache.size > 10_000) cache.clear();
      cache.set(tenantId, { at: Date.now(), value });
      value.catch(() => cache.delete(tenantId));
      return value;
    },
  });
}
