import { createHash } from "node:crypto";
import type { RedisClient } from "./redis-client.js";

/**
 * Runs a script by its SHA (EVALSHA), loading it on the first NOSCRIPT: scripts that run per
 * delivery or per connection cost both sides more than their work when their text goes every time.
 */
export function script(redis: RedisClient, lua: string) {
  const sha = createHash("sha1").update(lua).digest("hex");
  return async (keys: readonly string[], args: string[]): Promise<unknown> => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!String((err as Error).message).startsWith("NOSCRIPT")) throw err;
      return redis.eval(lua, keys.length, ...keys, ...args);
    }
  };
}

/** Redis' clock in ms as the Lua local `now`: replicas with skewed clocks agree on expiries. */
export const REDIS_NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000)";
