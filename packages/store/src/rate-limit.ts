import { apiKeys } from "./api-keys.js";
import type { RedisClient } from "./redis-client.js";

export interface RateLimitOptions {
  redis: RedisClient;
  prefix: string;
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
}

export type RateDecision = { ok: true; remaining: number } | { ok: false; retryAfterMs: number };

/**
 * A fixed-window counter per subject (token id, tenant) in Redis, so every API replica shares the budget.
 * Fixed windows allow a burst of up to 2× at a window edge; that is accepted for its one round trip.
 */
export function createRateLimiter(opts: RateLimitOptions) {
  const { redis, windowMs } = opts;
  const k = apiKeys(opts.prefix);
  return {
    /** Counts one request of `subject`; `limit` overrides the limiter's own for this subject (a quota). */
    async hit(subject: string, now = Date.now(), limit = opts.limit): Promise<RateDecision> {
      const window = Math.floor(now / windowMs);
      const key = k.rateLimit(subject, window);
      const r = await redis
        .multi()
        .incr(key)
        .pexpire(key, windowMs * 2)
        .exec();
      const count = Number(r?.[0]?.[1] ?? 0);
      if (count > limit) return { ok: false, retryAfterMs: (window + 1) * windowMs - now };
      return { ok: true, remaining: limit - count };
    },
  };
}
export type RateLimiter = ReturnType<typeof createRateLimiter>;
