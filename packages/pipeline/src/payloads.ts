import { deliveryId, type MailMessage, messageKey } from "@mailhook/model";
import type { Rule } from "@mailhook/rules";
import { buildPayload, type PayloadInclude, type WebhookPayload } from "@mailhook/webhook";

/** Where a matched message lives, as its webhook payload names it. */
export interface PayloadSource {
  tenantId: string;
  mailbox: { id: string; address: string };
  folder: string;
}

export interface RulePayloadArgs {
  source: PayloadSource;
  message: MailMessage;
  rule: { id: string; name: string };
  extracted: Record<string, string | null>;
  include: PayloadInclude;
  deliveryId: string;
  now: Date;
}

/**
 * The webhook body of one (message, rule, endpoint): what `mail.process` stores and sends, and
 * what a dry run shows. One function for both, so the dry run cannot drift from production.
 */
export function rulePayload(args: RulePayloadArgs): WebhookPayload {
  return buildPayload({
    deliveryId: args.deliveryId,
    now: args.now,
    tenant: args.source.tenantId,
    mailbox: { id: args.source.mailbox.id, address: args.source.mailbox.address, folder: args.source.folder },
    message: args.message,
    rule: args.rule,
    extracted: args.extracted,
    include: args.include,
  });
}

export interface DryRunWebhook {
  endpointId: string;
  /** The delivery id (and webhook-id) the worker would use for this message, rule and endpoint. */
  deliveryId: string;
  /** False when the rule names an endpoint the tenant does not have: the worker skips the action. */
  endpointExists: boolean;
  payload: WebhookPayload;
}

/**
 * The payloads a matched rule would send for a message, one per webhook action, with the ids the
 * worker would give them. Nothing is stored or sent.
 */
export function dryRunWebhooks(args: {
  source: PayloadSource;
  message: MailMessage;
  rule: Rule;
  extracted: Record<string, string | null>;
  endpointIds: ReadonlySet<string>;
  now?: Date;
}): DryRunWebhook[] {
  const { source, message, rule } = args;
  const key = messageKey(source.mailbox.id, source.folder, message.uidValidity, message.uid);
  const now = args.now ?? new Date();
  return rule.actions.flatMap((action) => {
    if (action.type !== "webhook") return [];
    const id = deliveryId(key, rule.id, action.endpoint);
    return [
      {
        endpointId: action.endpoint,
        deliveryId: id,
        endpointExists: args.endpointIds.has(action.endpoint),
        payload: rulePayload({
          source,
          message,
          rule: { id: rule.id, name: rule.name },
          extracted: args.extracted,
          include: action.include,
          deliveryId: id,
          now,
        }),
      },
    ];
  });
}
