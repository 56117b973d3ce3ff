import type { Member } from "@mailhook/store";

export interface GoneVerdict {
  id: string;
  /** The heartbeat the verdict is about: marking it gone must fail if it has moved on since. */
  at: number;
}

/**
 * Tells dead watcher replicas from slow ones. A member is dead when, for `confirmMs` on end, its
 * presence channel had no subscriber (its process's socket is closed) and its heartbeat did not
 * move. A starved replica keeps its socket and so is never judged dead here (its leases expire
 * if it stays silent longer than their TTL); a replica whose subscriber connection is down but
 * which still heartbeats is alive. Nothing is judged while the observer cannot see its own
 * subscription (it is reconnecting, or the answer came from the wrong place), nor for `settleMs`
 * after it sees it (again): after a Redis restart or failover every replica re-subscribes, some
 * later than others (ioredis retries up to 2 s apart).
 * Members without presence (older versions, parked ones) are left to their TTL.
 *
 * A pure state machine over observations: `observe` gets the members and subscriber counts of one
 * check and returns the members to mark gone.
 */
export function createGoneDetector(me: string, confirmMs: number, settleMs = 2_000) {
  const suspects = new Map<string, { since: number; at: number }>();
  let visibleSince: number | null = null;
  return {
    observe(
      now: number,
      members: readonly Member[],
      subscribers: ReadonlyMap<string, number>,
    ): GoneVerdict[] {
      if ((subscribers.get(me) ?? 0) < 1) {
        suspects.clear();
        visibleSince = null;
        return [];
      }
      visibleSince ??= now;
      if (now - visibleSince < settleMs) return [];
      const out: GoneVerdict[] = [];
      const seen = new Set<string>();
      for (const m of members) {
        if (m.id === me || m.presence !== true || m.parked === true) continue;
        seen.add(m.id);
        if ((subscribers.get(m.id) ?? 0) > 0) {
          suspects.delete(m.id);
          continue;
        }
        const s = suspects.get(m.id);
        if (!s || s.at !== m.at) suspects.set(m.id, { since: now, at: m.at });
        else if (now - s.since >= confirmMs) out.push({ id: m.id, at: m.at });
      }
      for (const id of suspects.keys()) if (!seen.has(id)) suspects.delete(id);
      return out;
    },
  };
}
