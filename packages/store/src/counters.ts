import type { RedisClient } from "./redis-client.js";

export interface Counters {
  /** Adds `n` to `field`; written to Redis with the next flush. */
  add(field: string, n?: number): void;
  /** Writes what was counted since the last flush (one HINCRBY per field, pipelined). */
  flush(): Promise<void>;
  /** Stops the timer and flushes. */
  close(): Promise<void>;
}

/**
 * Shared counters (the API's /metrics reads them from one hash), added up in memory and written
 * every `flushEveryMs` (default 1 s) instead of once per event: a counter write per FETCH sat on
 * the path of every message between its fetch and its rules (a MULTI of four commands), and under
 * load a second's events now cost a command per field. At most one interval's counts are lost
 * when the process is killed; a failed write is added back for the next flush.
 */
export function createCounters(redis: RedisClient, key: string, flushEveryMs = 1_000): Counters {
  let pending = new Map<string, number>();
  const flush = async () => {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    const entries = [...batch];
    const p = redis.pipeline();
    for (const [field, n] of entries) p.hincrby(key, field, n);
    const results = await p.exec().catch(() => null);
    entries.forEach(([field, n], i) => {
      if (!results || results[i]?.[0]) pending.set(field, (pending.get(field) ?? 0) + n);
    });
  };
  const timer = setInterval(() => void flush(), flushEveryMs);
  timer.unref();
  return {
    add(field, n = 1) {
      if (n !== 0) pending.set(field, (pending.get(field) ?? 0) + n);
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
