import { randomBytes } from "node:crypto";
import { z } from "zod";
import { apiKeys } from "./api-keys.js";
import type { RedisClient } from "./redis-client.js";

const Limit = z.number().int().min(0).max(1_000_000_000);

/** What one tenant may hold and do. Every quota has a default (env) and an operator override. */
export const Quotas = z.object({
  /** Mailboxes (each one holds an IDLE connection per folder on a watcher). */
  mailboxes: Limit,
  /** Watched folders over all the tenant's mailboxes. */
  folders: Limit,
  rules: Limit,
  endpoints: Limit,
  /** Delivery records kept; past it the oldest finished ones are dropped (pending ones never). */
  deliveries: Limit,
  /** API requests per minute over all the tenant's tokens. */
  apiPerMinute: Limit,
});
export type Quotas = z.infer<typeof Quotas>;
export type QuotaName = keyof Quotas;

/** An override per quota; `null` in an update removes it (back to the default). */
export const QuotaOverrides = Quotas.partial();
export type QuotaOverrides = z.infer<typeof QuotaOverrides>;

export const DEFAULT_QUOTAS: Quotas = {
  mailboxes: 100,
  folders: 500,
  rules: 200,
  endpoints: 50,
  deliveries: 100_000,
  apiPerMinute: 1_200,
};

/** The rate-limiter subject of a tenant's API budget (beside each token's own). */
const LOCK_TTL_MS = 10_000;
const LOCK_WAIT_MS = 10_000;
const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export const tenantRateSubject = (tenantId: string) => `tenant:${tenantId}`;

export interface QuotasOptions {
  redis: RedisClient;
  prefix: string;
  defaults?: Partial<Quotas>;
  /** How long a replica trusts its copy of a tenant's overrides (ms). */
  cacheMs?: number;
}

/**
 * Per-tenant quotas: defaults from the environment, overrides set by the operator (admin API)
 * and kept in Redis. Reads are cached briefly per process, so a check costs no round trip on hot
 * paths; an override reaches every replica within `cacheMs`.
 */
export function createQuotas(opts: QuotasOptions) {
  const { redis } = opts;
  const k = apiKeys(opts.prefix);
  const defaults: Quotas = { ...DEFAULT_QUOTAS, ...opts.defaults };
  const cacheMs = opts.cacheMs ?? 5_000;
  const cache = new Map<string, { at: number; overrides: QuotaOverrides }>();
  const readOverrides = async (tenantId: string): Promise<QuotaOverrides> => {
    const hit = cache.get(tenantId);
    if (hit && Date.now() - hit.at < cacheMs) return hit.overrides;
    const raw = await redis.hgetall(k.quotas(tenantId));
    const parsed = QuotaOverrides.safeParse(
      Object.fromEntries(Object.entries(raw).map(([q, v]) => [q, Number(v)])),
    );
    const overrides = parsed.success ? parsed.data : {};
    if (cache.size > 10_000) cache.clear();
    cache.set(tenantId, { at: Date.now(), overrides });
    return overrides;
  };
  return {
    defaults,
    async overrides(tenantId: string): Promise<QuotaOverrides> {
      return readOverrides(tenantId);
    },
    async effective(tenantId: string): Promise<Quotas> {
      return { ...defaults, ...(await readOverrides(tenantId)) };
    },
    async limit(tenantId: string, quota: QuotaName): Promise<number> {
      return (await readOverrides(tenantId))[quota] ?? defaults[quota];
    },
    /**
     * Runs `fn` while holding the tenant's quota lock (Redis, so replicas queue behind each other):
     * count, compare and write inside it, and N parallel creates cannot pass a limit of N−1.
     */
    async exclusive<T>(tenantId: string, fn: () => Promise<T>): Promise<T> {
      const key = k.quotaLock(tenantId);
      const token = randomBytes(8).toString("hex");
      const deadline = Date.now() + LOCK_WAIT_MS;
      while ((await redis.set(key, token, "PX", LOCK_TTL_MS, "NX")) !== "OK") {
        if (Date.now() > deadline) throw new Error("quota lock not acquired in time");
        await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
      }
      try {
        return await fn();
      } finally {
        await redis.eval(UNLOCK, 1, key, token);
      }
    },
    /** Sets (number) or removes (null) overrides; returns the overrides now stored. */
    async update(tenantId: string, changes: { [Q in QuotaName]?: number | null }): Promise<QuotaOverrides> {
      const set = Object.entries(changes).filter(([, v]) => typeof v === "number");
      const unset = Object.entries(changes)
        .filter(([, v]) => v === null)
        .map(([q]) => q);
      const m = redis.multi();
      if (set.length > 0) m.hset(k.quotas(tenantId), Object.fromEntries(set.map(([q, v]) => [q, String(v)])));
      if (unset.length > 0) m.hdel(k.quotas(tenantId), ...unset);
      await m.exec();
      cache.delete(tenantId);
      return readOverrides(tenantId);
    },
  };
}
export type TenantQuotas = ReturnType<typeof createQuotas>;
