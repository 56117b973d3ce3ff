import { z } from "@hono/zod-openapi";

export const BackfillCreate = z
  .strictObject({
    folder: z.string().min(1).max(1000).default("INBOX"),
    since: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, "a date, YYYY-MM-DD")
      .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), "not a calendar date")
      .openapi({
        example: "2026-01-01",
        description: "Messages that arrived on or after this day (IMAP SEARCH SINCE compares by day)",
      }),
  })
  .openapi("BackfillCreate");
export type BackfillCreate = z.infer<typeof BackfillCreate>;
export type BackfillCreateInput = z.input<typeof BackfillCreate>;

export const BackfillView = z
  .object({
    id: z.string(),
    mailboxId: z.string(),
    folder: z.string(),
    since: z.string(),
    uidValidity: z.number().int(),
    /** How many messages SEARCH found; all of them were enqueued. */
    total: z.number().int(),
    processed: z.number().int(),
    failed: z.number().int(),
    pending: z.number().int(),
    done: z.boolean(),
    createdAt: z.string(),
  })
  .openapi("Backfill");
export type BackfillView = z.infer<typeof BackfillView>;
