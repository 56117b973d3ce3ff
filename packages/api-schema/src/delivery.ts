import { z } from "@hono/zod-openapi";

export const DeliveryStatus = z.enum(["pending", "delivered", "failed", "dead"]);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;

export const DeliveryAttemptView = z
  .object({
    at: z.string(),
    status: z.number().int().nullable(),
    latencyMs: z.number(),
    error: z.string().nullable(),
    responsePreview: z.string(),
    retryAfterMs: z.number().nullable(),
  })
  .openapi("DeliveryAttempt");
export type DeliveryAttemptView = z.infer<typeof DeliveryAttemptView>;

export const DeliverySummary = z
  .object({
    id: z.string(),
    status: DeliveryStatus,
    endpointId: z.string(),
    ruleId: z.string(),
    mailboxId: z.string(),
    folder: z.string(),
    uidValidity: z.number().int(),
    uid: z.number().int(),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    /** `fetch`: the message could not be fetched from IMAP (lastError has the server's answer); no webhook was sent. */
    stage: z.literal("fetch").optional(),
    /**
     * For a delivered one: ms from the watcher seeing the message to the receiver's answer of the
     * delivered attempt (two services' wall clocks); null otherwise.
     */
    endToEndMs: z.number().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("DeliverySummary");
export type DeliverySummary = z.infer<typeof DeliverySummary>;

/** One IMAP action of a follow-up, as the rule said when the message matched. */
export const FollowUpAction = z
  .object({
    type: z.enum(["move", "copy", "flag", "delete"]),
    to: z.string().optional(),
    add: z.array(z.string()).optional(),
    remove: z.array(z.string()).optional(),
    expunge: z.boolean().optional(),
  })
  .openapi("FollowUpAction");
export type FollowUpAction = z.infer<typeof FollowUpAction>;

export const FollowUpView = z
  .object({
    /**
     * waiting (for the webhooks in `after`) → enqueued → done; skipped when one of them failed or
     * was dead-lettered; failed when the IMAP actions themselves failed for good.
     */
    state: z.enum(["waiting", "enqueued", "done", "skipped", "failed"]),
    reason: z.string().nullable(),
    actions: z.array(FollowUpAction),
    /** Every delivery that must be delivered before the actions run (this one included). */
    after: z.array(z.string()),
  })
  .openapi("FollowUp", { description: "Ack-then-act: the rule's IMAP actions that wait for its webhooks" });
export type FollowUpView = z.infer<typeof FollowUpView>;

export const DeliveryView = DeliverySummary.extend({
  attempts: z.array(DeliveryAttemptView),
  /** The exact JSON body sent (and re-sent by a replay). */
  body: z.string(),
  followUps: z.array(FollowUpView),
  /**
   * When the watcher first saw the message (ISO-8601); with the delivered attempt's end, the
   * end-to-end latency (null for records written before it was kept).
   */
  seenAt: z.string().nullable(),
}).openapi("Delivery");
export type DeliveryView = z.infer<typeof DeliveryView>;

export const DeliveryQuery = z.object({
  status: DeliveryStatus.optional(),
  endpointId: z.string().min(1).max(128).optional(),
  ruleId: z.string().min(1).max(128).optional(),
  mailboxId: z.string().min(1).max(128).optional(),
  from: z.iso.datetime({ offset: true }).optional().openapi({ description: "Created at or after" }),
  to: z.iso.datetime({ offset: true }).optional().openapi({ description: "Created before" }),
});
export type DeliveryQuery = z.infer<typeof DeliveryQuery>;

export const ReplayDeadResult = z
  .object({
    endpointId: z.string(),
    replayed: z.array(z.string()),
    skipped: z.array(z.object({ id: z.string(), reason: z.string() })),
  })
  .openapi("ReplayDeadResult");
export type ReplayDeadResult = z.infer<typeof ReplayDeadResult>;
