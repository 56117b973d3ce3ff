import { randomBytes } from "node:crypto";
import { z } from "zod";
import { apiKeys } from "./api-keys.js";
import type { RedisClient } from "./redis-client.js";

/** UIDs as inclusive ranges, so a backfill of 20,000 messages stays a small record. */
const UidRanges = z.array(z.tuple([z.number().int().positive(), z.number().int().positive()]));

/** One backfill: which messages of one folder generation were sent through the rules. */
export const BackfillRecord = z.object({
  id: z.string(),
  tenantId: z.string(),
  mailboxId: z.string(),
  folder: z.string(),
  /** The SEARCH SINCE date (a day; IMAP compares dates, not times). */
  since: z.string(),
  uidValidity: z.number().int().nonnegative(),
  /** How many messages SEARCH found; every one was enqueued. */
  total: z.number().int().nonnegative(),
  uids: UidRanges,
  createdAt: z.string(),
});
export type BackfillRecord = z.infer<typeof BackfillRecord>;

/** Sorted UIDs → ranges ([1,2,3,7] → [[1,3],[7,7]]). */
export function toRanges(uids: readonly number[]): [number, number][] {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (const uid of sorted) {
    const last = out[out.length - 1];
    if (last && uid === last[1] + 1) last[1] = uid;
    else out.push([uid, uid]);
  }
  return out;
}

export function fromRanges(ranges: readonly (readonly [number, number])[]): number[] {
  const out: number[] = [];
  for (const [a, b] of ranges) for (let uid = a; uid <= b; uid++) out.push(uid);
  return out;
}

export interface BackfillsOptions {
  redis: RedisClient;
  prefix: string;
  /** How long a backfill's record stays readable (seconds); default 7 days. */
  ttlSec?: number;
}

/** Backfill records, per tenant, kept for a week so progress stays readable after the work is done. */
export function createBackfills(opts: BackfillsOptions) {
  const k = apiKeys(opts.prefix);
  const ttl = opts.ttlSec ?? 7 * 24 * 3600;
  return {
    newId: (): string => `bf_${randomBytes(9).toString("base64url")}`,
    async put(record: BackfillRecord): Promise<void> {
      await opts.redis.set(k.backfill(record.tenantId, record.id), JSON.stringify(record), "EX", ttl);
    },
    async get(tenantId: string, id: string): Promise<BackfillRecord | null> {
      const raw = await opts.redis.get(k.backfill(tenantId, id));
      return raw === null ? null : BackfillRecord.parse(JSON.parse(raw));
    },
  };
}
export type Backfills = ReturnType<typeof createBackfills>;
