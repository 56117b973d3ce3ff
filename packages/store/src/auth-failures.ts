import { apiKeys } from "./api-keys.js";
import type { RateDecision } from "./rate-limit.js";
import type { RedisClient } from "./redis-client.js";

export interface AuthFailuresOptions {
  redis: RedisClient;
  prefix: string;
  /** Failed attempts allowed per address within one window. */
  limit: number;
  windowMs: number;
}

// The window starts at an address's first failure (not at a clock boundary), so a burst of guesses
// cannot straddle two windows to get twice the budget.
const HIT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`;

/**
 * Failed authentications per client address, in Redis so every API replica shares the count.
 * `blocked` is asked before a token is looked at; `fail` counts one failure.
 */
export function createAuthFailures(opts: AuthFailuresOptions) {
  const { redis, limit, windowMs } = opts;
  const k = apiKeys(opts.prefix);
  const decide = (count: number, ttl: number): RateDecision =>
    count > limit
      ? { ok: false, retryAfterMs: ttl > 0 ? ttl : windowMs }
      : { ok: true, remaining: limit - count };
  return {
    async blocked(address: string): Promise<RateDecision> {
      const key = k.authFailures(address);
      const [count, ttl] = await Promise.all([redis.get(key), redis.pttl(key)]);
      // One more failure would be over the limit: refuse now.
      return decide(Number(count ?? 0) + 1, ttl);
    },
    async fail(address: string): Promise<RateDecision> {
      const [count, ttl] = (await redis.eval(HIT, 1, k.authFailures(address), String(windowMs))) as [
        number,
        number,
      ];
      return decide(count, ttl);
    },
  };
}
export type AuthFailures = ReturnType<typeof createAuthFailures>;
