import type { Logger } from "@mailhook/log";
import { messageKey } from "@mailhook/model";
import { jobUids, type MailProcessJob, type Producer } from "@mailhook/queue";
import type { MailProcessOutcome, MailRef } from "./mail-process.js";

export interface MailRangeDeps {
  processMail: (ref: MailRef) => Promise<MailProcessOutcome>;
  /** Where a member that failed is queued again on its own (deterministic per-UID job id). */
  retry: Producer<"mail.process">;
  log: Logger;
  /** Members processed at once; the fetch batcher turns them into range FETCHes. */
  concurrency: number;
}

export interface MailRangeResult {
  outcomes: MailProcessOutcome[];
  /** Members that threw and were queued again as single-UID jobs. */
  requeued: number[];
}

/**
 * Runs one `mail.process` job: every UID of its range through `processMail`, `concurrency` at a
 * time. A member that throws does not fail its neighbours: it is queued again as its own job (id
 * `messageKey`, so BullMQ's own retries and backoff apply to it alone) and the range completes.
 * Only when that re-queueing fails (Redis away) does the whole job fail and run again; members
 * that were done find their delivery records and send nothing twice.
 */
export async function processMailRange(deps: MailRangeDeps, job: MailProcessJob): Promise<MailRangeResult> {
  const uids = jobUids(job);
  const outcomes: MailProcessOutcome[] = [];
  const failed: { uid: number; err: unknown }[] = [];
  let next = 0;
  const lane = async () => {
    while (next < uids.length) {
      const uid = uids[next++]!;
      try {
        outcomes.push(await deps.processMail({ ...job, uid }));
      } catch (err) {
        failed.push({ uid, err });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(deps.concurrency, uids.length)) }, lane));
  // When every member failed (a single-UID job, the server or Redis away, refused credentials), the
  // job fails as a whole and BullMQ's backoff applies to it; nothing is gained by splitting it.
  if (failed.length === uids.length && failed[0]) throw failed[0].err;
  if (failed.length > 0) {
    deps.log.warn(
      {
        mailboxId: job.mailboxId,
        folder: job.folder,
        uids: failed.map((f) => f.uid),
        err: String(failed[0]?.err),
      },
      "messages of a range failed; each is retried on its own",
    );
    await deps.retry.addBulk(
      failed.map(({ uid }) => ({
        jobId: messageKey(job.mailboxId, job.folder, job.uidValidity, uid),
        data: {
          tenantId: job.tenantId,
          mailboxId: job.mailboxId,
          folder: job.folder,
          uidValidity: job.uidValidity,
          uid,
          seenAt: job.seenAt,
        },
      })),
    );
  }
  return { outcomes, requeued: failed.map((f) => f.uid) };
}

/**
 * Bounds the messages processed at once by this process across all `mail.process` jobs (a range
 * job runs its members in parallel; without a shared bound, N range jobs would run N × their width).
 */
export function limitConcurrency<A, R>(limit: number, fn: (arg: A) => Promise<R>): (arg: A) => Promise<R> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async (arg: A) => {
    // A released slot is handed straight to the next waiter, so the bound is never exceeded.
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await fn(arg);
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}
