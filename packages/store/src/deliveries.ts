import type { Keys } from "./keys.js";
import { DeliveryRecord, type DeliveryStatus, type FollowUp } from "./records.js";
import { delMany, getMany, type RedisClient } from "./redis-client.js";

/** `mail.act` progress markers outlive every retry of a job (BullMQ gives up within the hour). */
const ACT_STEPS_TTL_SEC = 7 * 24 * 3600;
const TRIM_LOOKAHEAD = 100;
const TRIM_EVERY_MS = 10_000;

/**
 * The parts of the delivery ledger beyond create/get/recordAttempt: the dead-letter index per
 * endpoint, replays, ack-then-act follow-ups, and the step markers that make `mail.act` idempotent.
 */
export function deliveryLedger(redis: RedisClient, k: Keys, retentionSec: number) {
  const load = async (id: string): Promise<DeliveryRecord | null> => {
    const raw = await redis.get(k.delivery(id));
    return raw ? DeliveryRecord.parse(JSON.parse(raw)) : null;
  };
  // Keeps the record's TTL: only the status change in recordAttempt decides retention.
  const save = async (rec: DeliveryRecord): Promise<void> => {
    await redis.set(k.delivery(rec.id), JSON.stringify(DeliveryRecord.parse(rec)), "KEEPTTL");
  };

  const trimmedAt = new Map<string, number>();
  const trimDue = (key: string): boolean => {
    const now = Date.now();
    if (now - (trimmedAt.get(key) ?? 0) < TRIM_EVERY_MS) return false;
    if (trimmedAt.size > 10_000) trimmedAt.clear();
    trimmedAt.set(key, now);
    return true;
  };

  return {
    /**
     * Keeps the indexes in step with a status change: failed and dead deliveries are listed per
     * endpoint (until the record expires); delivered or replayed ones leave that list. One
     * pipeline on the tenant's slot (no transaction: each command stands on its own, and a
     * delivery's usual single ZREM then costs one command, not three); the caller orders it
     * around the record write.
     */
    async writeStatusIndex(
      rec: DeliveryRecord,
      status: DeliveryStatus,
      /** The record was failed or dead before this change (so it is listed); default true. */
      wasListed = true,
    ): Promise<void> {
      const m = redis.pipeline();
      const dead = k.dead(rec.tenantId, rec.endpointId);
      const cutoff = Date.now() - retentionSec * 1000;
      if (status === "dead" || status === "failed") m.zadd(dead, Date.now(), rec.id);
      // A record that leaves pending was never listed since it last became pending (a replay takes
      // it off the list right after its record write): no ZREM, one command and one round trip less
      // per delivery. A crash inside a replay leaves a stale entry; readers check the record
      // (a bulk replay skips it as already delivered) and the trim below drops it by age.
      else if (wasListed) m.zrem(dead, rec.id);
      // Records expire on their own; their index entries are trimmed here, by age, at most once per
      // TRIM_EVERY_MS per index and process (readers skip entries whose record expired, so the
      // trim is housekeeping, not correctness: two commands per delivery saved at high rates).
      if (trimDue(dead)) m.zremrangebyscore(dead, "-inf", cutoff);
      if (status !== "pending" && trimDue(k.deliveries(rec.tenantId)))
        m.zremrangebyscore(k.deliveries(rec.tenantId), "-inf", cutoff);
      if (m.length > 0) await m.exec();
    },

    /**
     * The `deliveries` quota: drops up to `excess` of the tenant's oldest finished records (a
     * pending one is never dropped: it is still being delivered).
     */
    async trimOldest(tenantId: string, excess: number): Promise<number> {
      // Pending ones are skipped, so look a little past the excess for finished ones to drop.
      const ids = await redis.zrange(k.deliveries(tenantId), 0, excess - 1 + TRIM_LOOKAHEAD);
      if (ids.length === 0) return 0;
      const raws = await getMany(
        redis,
        ids.map((id) => k.delivery(id)),
      );
      // The indexes share the tenant's slot (one MULTI); the records are single keys of their own.
      const m = redis.multi();
      const drop: string[] = [];
      raws.forEach((raw, i) => {
        if (drop.length >= excess) return;
        const id = ids[i] as string;
        const rec = raw ? DeliveryRecord.safeParse(JSON.parse(raw)) : null;
        if (rec?.success && rec.data.status === "pending") return;
        m.zrem(k.deliveries(tenantId), id);
        if (rec?.success) m.zrem(k.dead(tenantId, rec.data.endpointId), id);
        drop.push(k.delivery(id));
      });
      if (drop.length === 0) return 0;
      await m.exec();
      await delMany(redis, drop);
      return drop.length;
    },

    /** Failed and dead-lettered deliveries of one endpoint, newest first. */
    async listDeadDeliveries(tenantId: string, endpointId: string, limit = 1000): Promise<string[]> {
      const key = k.dead(tenantId, endpointId);
      await redis.zremrangebyscore(key, "-inf", Date.now() - retentionSec * 1000);
      return redis.zrevrange(key, 0, limit - 1);
    },

    /**
     * Puts a failed or dead delivery back to pending for a replay: the body and id stay, the
     * attempts so far stay in the history, and the retry schedule starts afresh after them.
     * Returns null when the record does not exist (expired) and the record unchanged when it is
     * still pending or already delivered.
     */
    async beginReplay(id: string): Promise<{ replayed: boolean; record: DeliveryRecord } | null> {
      const rec = await load(id);
      if (!rec) return null;
      if (rec.status !== "dead" && rec.status !== "failed") return { replayed: false, record: rec };
      const next: DeliveryRecord = {
        ...rec,
        status: "pending",
        lastError: null,
        replays: (rec.replays ?? 0) + 1,
        attemptOffset: rec.attempts.length,
        updatedAt: new Date().toISOString(),
      };
      // Record first, then the index (its own slot): a crash in between leaves a pending record
      // listed as dead, which a replay finds not dead and skips.
      await redis.set(k.delivery(id), JSON.stringify(DeliveryRecord.parse(next)));
      await redis.zrem(k.dead(rec.tenantId, rec.endpointId), id);
      return { replayed: true, record: next };
    },

    /** Sets the state of one follow-up on one delivery record (no-op when either is gone). */
    async setFollowUpState(
      id: string,
      jobId: string,
      state: FollowUp["state"],
      reason: string | null,
    ): Promise<void> {
      const rec = await load(id);
      if (!rec?.followUps?.some((f) => f.jobId === jobId)) return;
      await save({
        ...rec,
        followUps: rec.followUps.map((f) => (f.jobId === jobId ? { ...f, state, reason } : f)),
      });
    },

    /** The steps of a `mail.act` job already done by an earlier run of it. */
    async actStepsDone(jobId: string): Promise<Set<string>> {
      return new Set(await redis.smembers(k.actSteps(jobId)));
    },
    async markActStep(jobId: string, step: string): Promise<void> {
      await redis.multi().sadd(k.actSteps(jobId), step).expire(k.actSteps(jobId), ACT_STEPS_TTL_SEC).exec();
    },
  };
}
