import type { JobsOptions } from "bullmq";
import { z } from "zod";

/** Largest UID range one `mail.process` job may carry (the watcher splits longer ones). */
export const MAX_UIDS_PER_JOB = 1_000;

/**
 * `mail.process`: new UIDs of one folder generation, as the watcher found them in one SEARCH (one job
 * per range costs BullMQ's ~40 Redis commands once per range instead of once per message). `uid` is
 * the single-UID form (a member retried on its own, a backfill, jobs queued by older releases).
 * Carries ids only; the worker reads the rest.
 */
export const MailProcessJob = z
  .object({
    tenantId: z.string().min(1),
    mailboxId: z.string().min(1),
    folder: z.string().min(1),
    uidValidity: z.number().int().nonnegative(),
    uid: z.number().int().positive().optional(),
    uids: z.array(z.number().int().positive()).min(1).max(MAX_UIDS_PER_JOB).optional(),
    /** When the watcher saw the UID (ms since epoch): the start of the end-to-end latency clock. */
    seenAt: z.number().int().nonnegative(),
    /** How often the job was put back because its mailbox's IMAP session budget was full. */
    deferrals: z.number().int().nonnegative().max(1_000).optional(),
  })
  .refine((j) => j.uid !== undefined || j.uids !== undefined, { message: "uid or uids is required" });
export type MailProcessJob = z.infer<typeof MailProcessJob>;

/** The UIDs one `mail.process` job stands for, in order, without duplicates. */
export function jobUids(job: Pick<MailProcessJob, "uid" | "uids">): number[] {
  const all = [...(job.uids ?? []), ...(job.uid !== undefined ? [job.uid] : [])];
  return [...new Set(all)].sort((a, b) => a - b);
}

/** `webhook.deliver`: one (message, rule, endpoint). The body lives in the delivery record. */
export const WebhookDeliverJob = z.object({
  tenantId: z.string().min(1),
  deliveryId: z.string().min(1),
});
export type WebhookDeliverJob = z.infer<typeof WebhookDeliverJob>;

const Folder = z.string().min(1).max(1000);
const Flags = z.array(z.string().min(1).max(200));

/** One IMAP action as `mail.act` executes it (the rule's action without its `after`). */
export const ImapAction = z.discriminatedUnion("type", [
  z.object({ type: z.literal("move"), to: Folder }),
  z.object({ type: z.literal("copy"), to: Folder }),
  z.object({ type: z.literal("flag"), add: Flags.optional(), remove: Flags.optional() }),
  /** To the `\Trash` folder (SPECIAL-USE), or marked `\Deleted` and expunged by UID when `expunge`. */
  z.object({ type: z.literal("delete"), expunge: z.boolean().optional() }),
]);
export type ImapAction = z.infer<typeof ImapAction>;

/**
 * `mail.act`: the IMAP actions of one matched rule for one message, run in order on one pooled
 * connection. `after` lists the deliveries that must all be delivered first (ack-then-act); it is
 * empty for actions that run at once. The actions are copied in because they are what the rule
 * said when the message matched; a later rule edit must not change what happens to this message.
 */
export const MailActJob = z.object({
  tenantId: z.string().min(1),
  mailboxId: z.string().min(1),
  folder: z.string().min(1),
  uidValidity: z.number().int().nonnegative(),
  uid: z.number().int().positive(),
  ruleId: z.string().min(1),
  actions: z.array(ImapAction).min(1),
  after: z.array(z.string().min(1)),
});
export type MailActJob = z.infer<typeof MailActJob>;

/**
 * The job catalog: every queue's name, payload schema and default options in one place.
 * Names follow `domain.verb`; BullMQ queue names may not contain ':'.
 */
export const jobCatalog = {
  "mail.process": {
    schema: MailProcessJob,
    options: {
      attempts: 8,
      backoff: { type: "exponential", delay: 2_000 },
      // Completed jobs are removed at once. A re-enqueue of a finished UID (crash between enqueue
      // and cursor advance, a lease hand-over) then runs again, finds its delivery records (SET NX)
      // and sends nothing twice; IMAP actions are idempotent. Keeping completed jobs for dedup cost
      // ~1.2 KB of Redis each and ~3 extra commands per job for age-based trimming.
      removeOnComplete: true,
      removeOnFail: { age: 7 * 24 * 3600 },
    },
  },
  "webhook.deliver": {
    schema: WebhookDeliverJob,
    options: {
      // The retry schedule is mailhook's own (Retry-After aware, see @mailhook/webhook); BullMQ's
      // attempts only cover crashes of the worker itself (stalled jobs).
      attempts: 3,
      backoff: { type: "fixed", delay: 5_000 },
      removeOnComplete: true,
      removeOnFail: { age: 7 * 24 * 3600 },
    },
  },
  "mail.act": {
    schema: MailActJob,
    options: {
      // IMAP actions are idempotent per step (see @mailhook/pipeline mail-act), so BullMQ's own
      // retries are safe: a connection drop or a busy server gets a few tries over some minutes.
      attempts: 6,
      backoff: { type: "exponential", delay: 5_000 },
      removeOnComplete: true,
      removeOnFail: { age: 7 * 24 * 3600 },
    },
  },
} as const satisfies Record<string, { schema: z.ZodType; options: JobsOptions }>;

export type JobName = keyof typeof jobCatalog;
export type JobData<N extends JobName> = z.infer<(typeof jobCatalog)[N]["schema"]>;
