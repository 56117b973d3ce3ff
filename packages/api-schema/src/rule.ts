import { z } from "@hono/zod-openapi";
import { RuleInput as RuleInputSchema } from "@mailhook/rules";

/**
 * The condition tree is recursive, which the OpenAPI generator cannot walk: it is described by hand
 * here (the leaf comes from the zod schema, see openapi.ts) and checked in full by validateRules,
 * which reports every problem with its path.
 */
const ref = { $ref: "#/components/schemas/Condition" };
const When = z.unknown().openapi("Condition", {
  description:
    "A condition tree: { all: [...] }, { any: [...] }, { not: {...} } or a leaf comparison. See docs/rules.md.",
  oneOf: [
    {
      type: "object",
      properties: { all: { type: "array", items: ref, minItems: 1 } },
      required: ["all"],
      additionalProperties: false,
    },
    {
      type: "object",
      properties: { any: { type: "array", items: ref, minItems: 1 } },
      required: ["any"],
      additionalProperties: false,
    },
    { type: "object", properties: { not: ref }, required: ["not"], additionalProperties: false },
    { $ref: "#/components/schemas/ConditionLeaf" },
  ],
});

export const RuleBody = RuleInputSchema.extend({ when: When.optional() }).openapi("RuleInput");
export type RuleBody = z.infer<typeof RuleBody>;

export const RuleView = RuleInputSchema.extend({
  id: z.string(),
  when: When.optional(),
  managed: z.enum(["file", "api"]),
  etag: z.string().openapi({ description: "Send as If-Match to change or delete this rule" }),
  health: z
    .object({
      state: z.enum(["active", "suspended"]),
      budgetExceeded: z.number().int(),
      lastError: z.string().nullable(),
      lastExceededAt: z.string().nullable(),
      suspendedAt: z.string().nullable(),
    })
    .optional()
    .openapi({
      description:
        "GET only, and only once the rule ran out of evaluation budget (RULES_EVAL_BUDGET_MS): how often, the last error, and whether it is suspended (after RULES_BUDGET_STRIKES; changing or enabling the rule resumes it)",
    }),
}).openapi("Rule");
export type RuleView = z.infer<typeof RuleView>;

export const ReorderBody = z
  .strictObject({
    ids: z.array(z.string().min(1).max(128)).min(1).max(1000).openapi({
      description: "Rule ids in the order they should run; priorities are reassigned 10, 20, 30, …",
    }),
  })
  .openapi("ReorderRules");
export type ReorderBody = z.infer<typeof ReorderBody>;

export const RuleTestJson = z
  .strictObject({
    /** The message: a whole RFC 822 source (.eml), as text or base64. */
    eml: z
      .string()
      .max(40 * 1024 * 1024)
      .optional(),
    emlBase64: z
      .string()
      .max(40 * 1024 * 1024)
      .optional(),
    /** Or the latest messages of one of the tenant's mailboxes, fetched as the worker would. */
    mailbox: z
      .strictObject({
        id: z.string().min(1).max(128),
        folder: z.string().min(1).max(1000).default("INBOX"),
        last: z.number().int().min(1).max(50).default(10),
      })
      .optional(),
    /** Rules to try without saving them; absent = the tenant's saved rules. */
    rules: z.array(z.unknown()).max(500).optional(),
    /** Only these saved rules. */
    ruleIds: z.array(z.string().min(1).max(128)).max(500).optional(),
    /** Where a posted message is pretended to live (rules scoped to mailboxes and folders use it). */
    mailboxId: z.string().min(1).max(128).default("dry-run"),
    folder: z.string().min(1).max(1000).default("INBOX"),
  })
  .refine((b) => [b.eml, b.emlBase64, b.mailbox].filter((x) => x !== undefined).length === 1, {
    message: "give exactly one of eml, emlBase64 or mailbox",
    path: ["eml"],
  })
  .openapi("RuleTest");
export type RuleTestJson = z.infer<typeof RuleTestJson>;

const Explanation = z.unknown().openapi({
  description:
    "Mirrors the rule's `when`: all/any/not nodes with children, leaves with field, op, value, seen values and result",
});

const DryRunWebhook = z
  .object({
    endpointId: z.string(),
    /** The delivery id and webhook-id the worker would use for this message, rule and endpoint. */
    deliveryId: z.string(),
    /** False: the tenant has no such endpoint, and the worker would skip this action. */
    endpointExists: z.boolean(),
    /** Size of the JSON body in bytes. */
    bytes: z.number().int(),
    /** The webhook body (docs/payload.schema.json), built by the worker's own code; null when omitted. */
    payload: z.unknown().openapi({ description: "The message.matched body, as the worker would build it" }),
    /** Why the payload is not shown (larger than the dry run returns); null when shown. */
    omitted: z.string().nullable(),
  })
  .openapi("DryRunWebhook");

const MessageExplanation = z.object({
  message: z.object({
    uid: z.number().int().nullable(),
    subject: z.string(),
    from: z.array(z.object({ name: z.string(), address: z.string() })),
    messageId: z.string().nullable(),
    attachments: z.number().int(),
    /** The text the rules saw (the first 64 KiB; `textTruncated` says when cut), null when not read. */
    text: z.string().nullable(),
    textTruncated: z.boolean(),
    /** How the body was read: `source` for a posted message, as production does for odd shapes. */
    parsedFrom: z.enum(["bodystructure", "source", "headers"]),
  }),
  results: z.array(
    z.object({
      rule: z.object({ id: z.string(), name: z.string(), priority: z.number() }),
      matched: z.boolean(),
      conditionsMatched: z.boolean(),
      skipped: z.union([z.null(), z.string(), z.object({ stoppedBy: z.string() })]).openapi({
        description:
          'null, "disabled", "mailbox", "folder", "budget" (stopped at RULES_EVAL_BUDGET_MS, not evaluated in full) or { stoppedBy }',
      }),
      condition: Explanation,
      extracted: z.record(z.string(), z.string().nullable()),
      /** Only for a matched rule: the body each of its webhook actions would send (nothing is sent). */
      webhooks: z.array(DryRunWebhook),
    }),
  ),
});

/** One entry per message: the posted one, or the mailbox's latest (newest first). */
export const RuleTestResult = z.object({ messages: z.array(MessageExplanation) }).openapi("RuleTestResult");
export type RuleTestResult = z.infer<typeof RuleTestResult>;

/** Request bodies as a client writes them (defaults may be left out). */
export type RuleBodyInput = z.input<typeof RuleBody>;
export type RuleTestInput = z.input<typeof RuleTestJson>;
