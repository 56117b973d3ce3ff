import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { apiKeys } from "./api-keys.js";

/** A response remembered for an Idempotency-Key. */
export interface RememberedResponse {
  status: number;
  body: string;
  headers: Record<string, string>;
}

export type IdempotencyClaim =
  | { kind: "new" }
  | { kind: "replay"; response: RememberedResponse }
  | { kind: "in-progress" }
  | { kind: "mismatch" };

export interface IdempotencyOptions {
  redis: Redis;
  prefix: string;
  /** How long a key and its response are remembered (seconds). */
  ttlSec?: number;
}

/**
 * Idempotency keys for creating POSTs. The first request claims the key (SET NX) with a fingerprint
 * of its body; a retry with the same key and body gets the first response again, a retry with a
 * different body is refused (it is not the same request), and a retry while the first is still
 * running is told so instead of running twice.
 */
export function createIdempotency(opts: IdempotencyOptions) {
  const { redis } = opts;
  const k = apiKeys(opts.prefix);
  const ttl = opts.ttlSec ?? 24 * 3600;
  return {
    async claim(tenantId: string, scope: string, key: string, body: string): Promise<IdempotencyClaim> {
      const fp = createHash("sha256").update(body).digest("hex");
      const redisKey = k.idempotency(tenantId, scope, key);
      const ok = await redis.set(redisKey, JSON.stringify({ fp, response: null }), "EX", 120, "NX");
      if (ok === "OK") return { kind: "new" };
      const raw = await redis.get(redisKey);
      if (!raw) return this.claim(tenantId, scope, key, body);
      const prev = JSON.parse(raw) as { fp: string; response: RememberedResponse | null };
      if (prev.fp !== fp) return { kind: "mismatch" };
      return prev.response ? { kind: "replay", response: prev.response } : { kind: "in-progress" };
    },
    async complete(
      tenantId: string,
      scope: string,
      key: string,
      body: string,
      response: RememberedResponse,
    ): Promise<void> {
      const fp = createHash("sha256").update(body).digest("hex");
      await redis.set(k.idempotency(tenantId, scope, key), JSON.stringify({ fp, response }), "EX", ttl);
    },
    /** Forgets a claim whose request failed, so the client can retry with the same key. */
    async release(tenantId: string, scope: string, key: string): Promise<void> {
      await redis.del(k.idempotency(tenantId, scope, key));
    },
  };
}
export type Idempotency = ReturnType<typeof createIdempotency>;
