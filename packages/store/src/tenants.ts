import { randomBytes } from "node:crypto";
import { z } from "zod";
import { apiKeys } from "./api-keys.js";
import type { RedisClient } from "./redis-client.js";

export const TenantId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
    "1-64 letters, digits, '_' or '-', starting with a letter or digit",
  );

export const Tenant = z.object({
  id: TenantId,
  name: z.string().min(1).max(200),
  createdAt: z.string(),
});
export type Tenant = z.infer<typeof Tenant>;

export interface TenantsOptions {
  redis: RedisClient;
  prefix: string;
}

/** A fresh tenant id: `ten_` and 16 random base32-ish characters. */
export function newTenantId(): string {
  return `ten_${randomBytes(10).toString("base64url").replace(/[-_]/g, "x").toLowerCase()}`;
}

/**
 * Tenant records. A tenant created by the config file (`tenant: default`) exists for the pipeline
 * without a record; creating a record with that id adopts it, so the API can hand out tokens for it.
 */
export function createTenants(opts: TenantsOptions) {
  const { redis } = opts;
  const k = apiKeys(opts.prefix);
  return {
    /** Creates the tenant; false when the id is taken. */
    async create(t: Tenant): Promise<boolean> {
      const n = await redis.hsetnx(k.tenantRecords, t.id, JSON.stringify(Tenant.parse(t)));
      return n === 1;
    },
    async get(id: string): Promise<Tenant | null> {
      const raw = await redis.hget(k.tenantRecords, id);
      return raw ? Tenant.parse(JSON.parse(raw)) : null;
    },
    async list(): Promise<Tenant[]> {
      const all = await redis.hvals(k.tenantRecords);
      return all.map((raw) => Tenant.parse(JSON.parse(raw))).sort((a, b) => a.id.localeCompare(b.id));
    },
    async rename(id: string, name: string): Promise<Tenant | null> {
      const t = await this.get(id);
      if (!t) return null;
      const next = { ...t, name };
      await redis.hset(k.tenantRecords, id, JSON.stringify(next));
      return next;
    },
  };
}
export type Tenants = ReturnType<typeof createTenants>;
