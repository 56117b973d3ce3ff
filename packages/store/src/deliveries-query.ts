import type { DeliveryRecord, DeliveryStatus } from "./records.js";
import { getMany } from "./redis-client.js";
import type { Store } from "./store.js";

export interface DeliveryFilter {
  status?: DeliveryStatus | undefined;
  endpointId?: string | undefined;
  ruleId?: string | undefined;
  mailboxId?: string | undefined;
  /** Created at or after (ms). */
  from?: number | undefined;
  /** Created before (ms). */
  to?: number | undefined;
}

/** Where a page ended: the (createdAt score, id) of the last record looked at. */
export interface DeliveryCursor {
  score: number;
  id: string;
}

export interface DeliveryPage {
  records: DeliveryRecord[];
  next: DeliveryCursor | null;
}

/** How many index entries one page may look at before it returns what it found (with a cursor). */
const SCAN_CAP = 5_000;
const BATCH = 200;

/**
 * Newest-first pages of a tenant's delivery records, filtered. The index is a sorted set by creation
 * time; records past their retention have expired and are skipped (and dropped from the index).
 * A page stops after SCAN_CAP entries even when it found fewer than `limit`, so a rare filter never
 * turns one request into a scan of everything: the cursor carries on from there.
 */
export async function queryDeliveries(
  store: Store,
  tenantId: string,
  filter: DeliveryFilter,
  limit: number,
  after: DeliveryCursor | null,
): Promise<DeliveryPage> {
  const { redis, keys: k } = store;
  const index = k.deliveries(tenantId);
  const min = filter.from ?? Number.NEGATIVE_INFINITY;
  let max = after ? after.score : filter.to !== undefined ? filter.to - 1 : Number.POSITIVE_INFINITY;
  if (filter.to !== undefined) max = Math.min(max, filter.to - 1);
  let skipUpTo: DeliveryCursor | null = after;
  const out: DeliveryRecord[] = [];
  let scanned = 0;
  let last: DeliveryCursor | null = null;
  const fmt = (n: number) =>
    n === Number.POSITIVE_INFINITY ? "+inf" : n === Number.NEGATIVE_INFINITY ? "-inf" : String(n);

  while (out.length < limit && scanned < SCAN_CAP) {
    const raw = await redis.zrevrangebyscore(index, fmt(max), fmt(min), "WITHSCORES", "LIMIT", 0, BATCH);
    if (raw.length === 0) break;
    const entries: DeliveryCursor[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2)
      entries.push({ id: raw[i] as string, score: Number(raw[i + 1]) });
    // Equal scores come in descending id order; skip those already returned on an earlier page.
    const fresh = entries.filter((e) => !(skipUpTo && e.score === skipUpTo.score && e.id >= skipUpTo.id));
    if (fresh.length === 0) {
      // The whole batch shares the cursor's score: move below it.
      if (entries.length < BATCH) break;
      const lowest = entries[entries.length - 1] as DeliveryCursor;
      skipUpTo = lowest;
      continue;
    }
    const records = fresh.length
      ? await getMany(
          redis,
          fresh.map((e) => k.delivery(e.id)),
        )
      : [];
    const expired: string[] = [];
    for (let i = 0; i < fresh.length; i++) {
      const e = fresh[i] as DeliveryCursor;
      scanned++;
      last = e;
      const json = records[i];
      if (!json) {
        expired.push(e.id);
      } else {
        const rec = JSON.parse(json) as DeliveryRecord;
        if (matches(rec, filter)) out.push(rec);
      }
      if (out.length >= limit || scanned >= SCAN_CAP) break;
    }
    if (expired.length) await redis.zrem(index, ...expired);
    if (entries.length < BATCH && last === fresh[fresh.length - 1]) {
      // Reached the end of the index.
      return { records: out, next: out.length >= limit ? last : null };
    }
    if (last) {
      max = last.score;
      skipUpTo = last;
    }
  }
  return { records: out, next: last && (out.length >= limit || scanned >= SCAN_CAP) ? last : null };
}

function matches(rec: DeliveryRecord, f: DeliveryFilter): boolean {
  return (
    (f.status === undefined || rec.status === f.status) &&
    (f.endpointId === undefined || rec.endpointId === f.endpointId) &&
    (f.ruleId === undefined || rec.ruleId === f.ruleId) &&
    (f.mailboxId === undefined || rec.mailboxId === f.mailboxId)
  );
}
