import { messageKey } from "@mailhook/model";
import type { MailProcessJob } from "./catalog.js";

/**
 * Splits a sorted UID batch into `mail.process` jobs of at most `maxUids` each, with deterministic
 * ids (`messageKey` of the first UID plus the last): a re-enqueue of the same batch after a crash
 * is dropped by BullMQ while the first is still queued; an overlapping one is harmless (delivery
 * records are created once).
 */
export function rangeJobs(
  ref: { tenantId: string; mailboxId: string; folder: string; uidValidity: number; seenAt: number },
  uids: number[],
  maxUids: number,
): { jobId: string; data: MailProcessJob }[] {
  const jobs: { jobId: string; data: MailProcessJob }[] = [];
  for (let i = 0; i < uids.length; i += maxUids) {
    const part = uids.slice(i, i + maxUids);
    const first = part[0]!;
    const last = part[part.length - 1]!;
    const key = messageKey(ref.mailboxId, ref.folder, ref.uidValidity, first);
    jobs.push(
      part.length === 1
        ? { jobId: key, data: { ...ref, uid: first } }
        : { jobId: `${key}-${last}`, data: { ...ref, uids: part } },
    );
  }
  return jobs;
}
