import { z } from "zod";
import { apiKeys } from "./api-keys.js";
import { type RedisClient, scanKeys } from "./redis-client.js";
import { Sealed, type SecretBox, type SecretContext } from "./secret-box.js";

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
  redis: RedisClient;
  prefix: string;
  secrets: SecretBox;
  /** How long a key and its response are remembered (seconds). */
  ttlSec?: number;
}

/** As stored: a keyed fingerprint of the body (never the body) and the response sealed. */
const StoredClaim = z.object({
  fp: z.string(),
  response: z
    .object({ status: z.number().int(), body: Sealed, headers: z.record(z.string(), z.string()) })
    .nullable(),
});
type StoredClaim = z.infer<typeof StoredClaim>;

const context = (tenantId: string, scope: string, key: string): SecretContext => ({
  kind: "idempotency.response",
  tenantId,
  id: `${scope}/${key}`,
});

/**
 * Idempotency keys for creating POSTs. The first request claims the key (SET NX) with a
 * fingerprint of its body; a retry with the same key and body gets the first response again, a
 * retry with a different body is refused (it is not the same request), and a retry while the first
 * is still running is told so instead of running twice.
 *
 * The fingerprint is an HMAC under a key derived from the encryption key (a body holds passwords;
 * a plain hash of it is a dictionary attack away from the password), and the response is sealed
 * (it can hold a webhook secret). A record whose key is no longer listed can be neither checked nor
 * opened: it counts as expired, exactly as if its 24 hours had passed.
 */
export function createIdempotency(opts: IdempotencyOptions) {
  const { redis, secrets } = opts;
  const k = apiKeys(opts.prefix);
  const ttl = opts.ttlSec ?? 24 * 3600;
  const read = (raw: string): StoredClaim | null => {
    const r = StoredClaim.safeParse(JSON.parse(raw));
    return r.success ? r.data : null;
  };
  return {
    async claim(tenantId: string, scope: string, key: string, body: string): Promise<IdempotencyClaim> {
      const redisKey = k.idempotency(tenantId, scope, key);
      const fresh: StoredClaim = { fp: secrets.fingerprint(body), response: null };
      for (let attempt = 0; attempt < 3; attempt++) {
        const ok = await redis.set(redisKey, JSON.stringify(fresh), "EX", 120, "NX");
        if (ok === "OK") return { kind: "new" };
        const raw = await redis.get(redisKey);
        if (!raw) continue;
        const prev = read(raw);
        const same = prev ? secrets.matchesFingerprint(prev.fp, body) : null;
        if (same === false) return { kind: "mismatch" };
        if (prev && same) {
          if (!prev.response) return { kind: "in-progress" };
          try {
            const plain = secrets.open(prev.response.body, context(tenantId, scope, key));
            return { kind: "replay", response: { ...prev.response, body: plain } };
          } catch {
            // Sealed under a key that is gone: expired, like the check above.
          }
        }
        // Written in an older format or under a key no longer listed: expired.
        await redis.del(redisKey);
      }
      return { kind: "in-progress" };
    },
    async complete(
      tenantId: string,
      scope: string,
      key: string,
      body: string,
      response: RememberedResponse,
    ): Promise<void> {
      const stored: StoredClaim = {
        fp: secrets.fingerprint(body),
        response: { ...response, body: secrets.seal(response.body, context(tenantId, scope, key)) },
      };
      await redis.set(k.idempotency(tenantId, scope, key), JSON.stringify(stored), "EX", ttl);
    },
    /** Forgets a claim whose request failed, so the client can retry with the same key. */
    async release(tenantId: string, scope: string, key: string): Promise<void> {
      await redis.del(k.idempotency(tenantId, scope, key));
    },
  };
}
export type Idempotency = ReturnType<typeof createIdempotency>;

/**
 * The reseal step for idempotency records: those made under an older key are deleted (their
 * fingerprint is one-way, so it cannot be re-keyed; once the old key is dropped they could only
 * fail). Records under the current key stay. Returns how many were expired.
 */
export async function expireStaleIdempotency(
  redis: RedisClient,
  prefix: string,
  secrets: SecretBox,
): Promise<number> {
  const pattern = apiKeys(prefix).idempotency("*", "*", "*");
  const current = `${secrets.currentKeyId}.`;
  let expired = 0;
  // Every master on Cluster: the records spread over all slots.
  await scanKeys(redis, pattern, async (found) => {
    for (const key of found) {
      const raw = await redis.get(key);
      if (raw === null) continue;
      let stored: StoredClaim | null = null;
      try {
        stored = StoredClaim.parse(JSON.parse(raw));
      } catch {}
      const fresh =
        stored?.fp.startsWith(current) &&
        (stored.response === null || !secrets.isStale(stored.response.body));
      if (!fresh) expired += await redis.del(key);
    }
  });
  return expired;
}
