import type { RedisClient } from "./redis-client.js";
import { tickBatcher } from "./tick-batch.js";

/** One first attempt made inline whose outcome is not recorded yet. */
export interface PendingAttempt {
  tenantId: string;
  deliveryId: string;
}

/**
 * The safety net of inline first attempts: one sorted set (score: the time by which the attempt
 * must have an outcome). An attempt is added before it starts and removed once its outcome is
 * recorded; an entry still there after its deadline belongs to a worker that died mid-attempt, and
 * any worker's sweep hands it to the delivery queue. Two commands per delivery, against the ~15 of
 * a delayed BullMQ job added and removed again; fewer in a burst, where the adds (and the removes)
 * of one event-loop turn go out as one ZADD (one ZREM) with all their members. Each call still
 * resolves only once its own member is written.
 */
export interface InlinePending {
  add(entry: PendingAttempt, deadline: number): Promise<void>;
  remove(entry: PendingAttempt): Promise<void>;
  /** Entries whose deadline passed, oldest first (at most `limit`). */
  overdue(now: number, limit: number): Promise<PendingAttempt[]>;
}

const SEP = "\t";

export function createInlinePending(redis: RedisClient, key: string): InlinePending {
  const member = (e: PendingAttempt) => `${e.tenantId}${SEP}${e.deliveryId}`;
  const adds = tickBatcher(async (_k: string, items: [number, string][]) => {
    await redis.zadd(key, ...items.flat());
  });
  const removes = tickBatcher(async (_k: string, members: string[]) => {
    await redis.zrem(key, ...members);
  });
  return {
    async add(entry, deadline) {
      await adds(key, [deadline, member(entry)]);
    },
    async remove(entry) {
      await removes(key, member(entry));
    },
    async overdue(now, limit) {
      const raw = await redis.zrangebyscore(key, "-inf", now, "LIMIT", 0, limit);
      return raw.flatMap((m) => {
        const at = m.indexOf(SEP);
        return at > 0 ? [{ tenantId: m.slice(0, at), deliveryId: m.slice(at + 1) }] : [];
      });
    },
  };
}
