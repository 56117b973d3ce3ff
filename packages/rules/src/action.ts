import { z } from "zod";

/** IMAP actions may wait for the rule's webhook to be delivered (ack-then-act). */
const After = z.literal("webhook").optional();

export const WebhookInclude = z.strictObject({
  text: z.boolean().default(true),
  html: z.boolean().default(false),
  /** true = the whole header block in the payload (costs a full header fetch). */
  headers: z.boolean().default(false),
  attachments: z.enum(["none", "metadata", "content"]).default("metadata"),
  raw: z.boolean().default(false),
});
export type WebhookInclude = z.output<typeof WebhookInclude>;

export const WebhookAction = z.strictObject({
  type: z.literal("webhook"),
  endpoint: z.string().min(1),
  include: WebhookInclude.prefault({}),
});

const Folder = z.string().min(1).max(1000);
const Keyword = z.string().min(1).max(200);

export const MoveAction = z.strictObject({ type: z.literal("move"), to: Folder, after: After });
export const CopyAction = z.strictObject({ type: z.literal("copy"), to: Folder, after: After });
export const FlagAction = z
  .strictObject({
    type: z.literal("flag"),
    add: z.array(Keyword).optional(),
    remove: z.array(Keyword).optional(),
    after: After,
  })
  .refine((a) => (a.add?.length ?? 0) + (a.remove?.length ?? 0) > 0, {
    message: "flag action needs at least one flag in add or remove",
  });
export const DeleteAction = z.strictObject({
  type: z.literal("delete"),
  /** Expunge right away instead of only setting \Deleted. */
  expunge: z.boolean().optional(),
  after: After,
});

/** What a matched rule does. IMAP actions are executed by `mail.act`; here they are only defined. */
export const Action = z.discriminatedUnion("type", [
  WebhookAction,
  MoveAction,
  CopyAction,
  FlagAction,
  DeleteAction,
]);
export type Action = z.output<typeof Action>;
