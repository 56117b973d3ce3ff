import { createHash } from "node:crypto";
import type { ImapAction, MailActJob } from "@mailhook/queue";
import type { Action } from "@mailhook/rules";
import type { FollowUp } from "@mailhook/store";

export interface RuleActionArgs {
  tenantId: string;
  mailboxId: string;
  folder: string;
  uidValidity: number;
  uid: number;
  messageKey: string;
  ruleId: string;
  actions: Action[];
  /** The delivery ids of this rule's webhooks for this message (ack-then-act waits for all of them). */
  deliveryIds: string[];
  /** A webhook of the rule could not be created (endpoint missing): ack-then-act actions never run. */
  webhookMissing?: boolean;
}

export interface RuleActionPlan {
  /** Actions without `after`, as one `mail.act` job to enqueue at once. */
  now: { jobId: string; data: MailActJob } | null;
  /** Actions with `after: "webhook"`, carried by every delivery record of the rule. */
  followUp: FollowUp | null;
}

/**
 * Splits a matched rule's IMAP actions into those that run at once and those that wait for the
 * rule's webhooks. Within a job, actions that leave the message in place (flag, copy) run before
 * those that take it away (move, delete): a flag listed after a move still applies, to the
 * original, before it moves. A rule with `after: "webhook"` but no webhook runs them at once.
 *
 * @example
 * planRuleActions({ ..., actions: [{ type: "move", to: "Done", after: "webhook" }], deliveryIds: ["msg_a"] })
 * // { now: null, followUp: { jobId: "act_…", after: ["msg_a"], state: "waiting", … } }
 */
export function planRuleActions(args: RuleActionArgs): RuleActionPlan {
  const immediate: ImapAction[] = [];
  const acked: ImapAction[] = [];
  for (const a of args.actions) {
    if (a.type === "webhook") continue;
    const target = a.after === "webhook" && args.deliveryIds.length > 0 ? acked : immediate;
    if (a.after === "webhook" && args.webhookMissing) continue;
    target.push(toImapAction(a));
  }
  const job = (actions: ImapAction[], after: string[]): MailActJob => ({
    tenantId: args.tenantId,
    mailboxId: args.mailboxId,
    folder: args.folder,
    uidValidity: args.uidValidity,
    uid: args.uid,
    ruleId: args.ruleId,
    actions: inRunOrder(actions),
    after,
  });
  const now = immediate.length > 0 ? { jobId: actJobId(args, "now"), data: job(immediate, []) } : null;
  const followUp: FollowUp | null =
    acked.length > 0
      ? {
          jobId: actJobId(args, "webhook"),
          data: job(acked, args.deliveryIds),
          after: args.deliveryIds,
          state: "waiting",
          reason: null,
        }
      : null;
  return { now, followUp };
}

/** Deterministic: a retried `mail.process` enqueues the same job, which BullMQ then ignores. */
function actJobId(args: RuleActionArgs, group: "now" | "webhook"): string {
  const h = createHash("sha256").update(`${args.messageKey}\0${args.ruleId}\0${group}`).digest("base64url");
  return `act_${h.slice(0, 26)}`;
}

function toImapAction(a: Exclude<Action, { type: "webhook" }>): ImapAction {
  switch (a.type) {
    case "move":
    case "copy":
      return { type: a.type, to: a.to };
    case "flag":
      return { type: "flag", ...(a.add ? { add: a.add } : {}), ...(a.remove ? { remove: a.remove } : {}) };
    case "delete":
      return { type: "delete", ...(a.expunge !== undefined ? { expunge: a.expunge } : {}) };
  }
}

const takesAway = (a: ImapAction) => a.type === "move" || a.type === "delete";

function inRunOrder(actions: ImapAction[]): ImapAction[] {
  return [...actions.filter((a) => !takesAway(a)), ...actions.filter(takesAway)];
}
