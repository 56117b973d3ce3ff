import { messageKey } from "@mailhook/model";
import type { Producer } from "@mailhook/queue";
import type { RedisClient } from "@mailhook/store";
import { type BackfillRecord, type Backfills, fromRanges, toRanges } from "@mailhook/store";
import type { ImapFlow } from "imapflow";

/** Most messages one backfill may enqueue: a tenant's request stays bounded in Redis and IMAP work. */
export const MAX_BACKFILL_MESSAGES = 20_000;

export interface BackfillDeps {
  backfills: Backfills;
  producer: Producer<"mail.process">;
  /** The Redis the queue lives in (progress reads the job keys). */
  redis: RedisClient;
}

export interface BackfillProgress {
  total: number;
  /** Jobs that ran to the end (mail.process removes completed jobs, so: no longer in the queue). */
  processed: number;
  /** Jobs that gave up after their retries (kept in the failed set for a week). */
  failed: number;
  /** Still waiting, delayed or running. */
  pending: number;
  done: boolean;
}

/**
 * The UIDs of a folder that arrived on or after `since` (IMAP `UID SEARCH SINCE`, which compares
 * the internal date by day), read-only so nothing is marked.
 */
export async function searchSince(
  client: ImapFlow,
  folder: string,
  since: Date,
): Promise<{ uidValidity: number; uids: number[] }> {
  const box = await client.mailboxOpen(folder, { readOnly: true });
  const found = box.exists === 0 ? [] : await client.search({ since }, { uid: true });
  return { uidValidity: Number(box.uidValidity), uids: found ? [...found].sort((a, b) => a - b) : [] };
}

const CHUNK = 500;

/**
 * Sends the found messages through the rules: one `mail.process` job per UID under the same
 * deterministic id the watcher uses. A message already processed finds its delivery records and
 * sends nothing twice, so running a backfill again (or over mail the watcher saw) is harmless.
 */
export async function startBackfill(
  deps: BackfillDeps,
  args: {
    tenantId: string;
    mailboxId: string;
    folder: string;
    since: string;
    found: { uidValidity: number; uids: number[] };
  },
): Promise<BackfillRecord> {
  const { tenantId, mailboxId, folder, found } = args;
  if (found.uids.length > MAX_BACKFILL_MESSAGES)
    throw new RangeError(`more than ${MAX_BACKFILL_MESSAGES} messages`);
  const record: BackfillRecord = {
    id: deps.backfills.newId(),
    tenantId,
    mailboxId,
    folder,
    since: args.since,
    uidValidity: found.uidValidity,
    total: found.uids.length,
    uids: toRanges(found.uids),
    createdAt: new Date().toISOString(),
  };
  // The record first: progress is readable (as pending) while the jobs are being added.
  await deps.backfills.put(record);
  const seenAt = Date.now();
  for (let i = 0; i < found.uids.length; i += CHUNK) {
    await deps.producer.addBulk(
      found.uids.slice(i, i + CHUNK).map((uid) => ({
        jobId: messageKey(mailboxId, folder, found.uidValidity, uid),
        data: { tenantId, mailboxId, folder, uidValidity: found.uidValidity, uid, seenAt },
      })),
    );
  }
  return record;
}

/** How far a backfill got, from the queue itself: a job still present is pending or failed. */
export async function backfillProgress(
  deps: BackfillDeps,
  record: BackfillRecord,
): Promise<BackfillProgress> {
  const queue = deps.producer.queue;
  const { redis } = deps;
  const failedKey = queue.toKey("failed");
  const ids = fromRanges(record.uids).map((uid) =>
    messageKey(record.mailboxId, record.folder, record.uidValidity, uid),
  );
  let pending = 0;
  let failed = 0;
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    const pipe = redis.pipeline();
    for (const id of chunk) pipe.exists(queue.toKey(id));
    pipe.zmscore(failedKey, ...chunk);
    const replies = (await pipe.exec()) ?? [];
    const scores = (replies[chunk.length]?.[1] ?? []) as (string | null)[];
    chunk.forEach((_, j) => {
      if (replies[j]?.[1] !== 1) return;
      if (scores[j] !== null && scores[j] !== undefined) failed++;
      else pending++;
    });
  }
  const processed = record.total - pending - failed;
  return { total: record.total, processed, failed, pending, done: pending === 0 };
}
