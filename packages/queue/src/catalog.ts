import type { JobsOptions } from "bullmq";
import { z } from "zod";

/** `mail.process`: one new UID in one folder generation. Carries ids only; the worker reads the rest. */
export const MailProcessJob = z.object({
  tenantId: z.string().min(1),
  mailboxId: z.string().min(1),
  folder: z.string().min(1),
  uidValidity: z.number().int().nonnegative(),
  uid: z.number().int().positive(),
  /** When the watcher saw the UID (ms since epoch): the start of the end-to-end latency clock. */
  seenAt: z.number().int().nonnegative(),
});
export type MailProcessJob = z.infer<typeof MailProcessJob>;

/** `webhook.deliver`: one (message, rule, endpoint). The body lives in the delivery record. */
export const WebhookDeliverJob = z.object({
  tenantId: z.string().min(1),
  deliveryId: z.string().min(1),
});
export type WebhookDeliverJob = z.infer<typeof WebhookDeliverJob>;

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
      // Completed jobs are kept for a day: a re-enqueue of the same UID (crash between enqueue and
      // cursor advance, or a second watcher during a lease hand-over) is then a no-op in BullMQ.
      removeOnComplete: { age: 24 * 3600, count: 200_000 },
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
      removeOnComplete: { age: 24 * 3600, count: 200_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    },
  },
} as const satisfies Record<string, { schema: z.ZodType; options: JobsOptions }>;

export type JobName = keyof typeof jobCatalog;
export type JobData<N extends JobName> = z.infer<(typeof jobCatalog)[N]["schema"]>;
