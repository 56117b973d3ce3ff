import { z } from "zod";
import { Action } from "./action.js";
import { Condition } from "./condition.js";

export const Extract = z.strictObject({
  field: z.string().min(1),
  pattern: z.string().min(1),
  /** Regex flags: any of "i", "m", "s". */
  flags: z.string().optional(),
  caseSensitive: z.boolean().optional(),
});
export type Extract = z.infer<typeof Extract>;

const RuleId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, "id: 1-64 letters, digits, '_', '.', ':' or '-'");

/** A rule as users write it in mailhook.yaml or send to the API. */
export const RuleInput = z.strictObject({
  id: RuleId.optional(),
  name: z.string().min(1).max(200),
  enabled: z.boolean().default(true),
  /** Mailbox ids; absent = every mailbox of the tenant. */
  mailboxes: z.array(z.string().min(1)).min(1).optional(),
  /** Folder names; absent = every watched folder. */
  folders: z.array(z.string().min(1)).min(1).optional(),
  /** Lower runs first; ties are ordered by id. */
  priority: z.number().int().min(-1_000_000).max(1_000_000).default(100),
  /** When this rule matches, rules after it do not see the message. */
  stop: z.boolean().default(false),
  /** Absent = every message matches. */
  when: Condition.optional(),
  extract: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "extract name: an identifier"), Extract)
    .optional(),
  actions: z.array(Action).min(1),
});
export type RuleInput = z.input<typeof RuleInput>;

/** A validated rule: defaults applied and an id assigned. */
export const Rule = RuleInput.extend({ id: RuleId });
export type Rule = z.output<typeof Rule>;
