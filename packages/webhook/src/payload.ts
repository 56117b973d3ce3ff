import { Address, AttachmentMeta, type MailMessage } from "@mailhook/model";
import { z } from "zod";

/**
 * The JSON body of a `message.matched` webhook. Versioned so receivers can tell shapes apart; new
 * optional fields may appear within a version, removals or meaning changes bump `version`.
 * docs/payload.schema.json is generated from this schema (see payload-schema.ts).
 */
export const WebhookPayload = z.object({
  type: z.literal("message.matched"),
  version: z.literal(1),
  /** The delivery id, equal to the webhook-id header: the same on every retry and replay. */
  id: z.string(),
  /** When this payload was built (ISO-8601). Retries resend the same body, so the same timestamp. */
  timestamp: z.iso.datetime(),
  tenant: z.string(),
  mailbox: z.object({ id: z.string(), address: z.string(), folder: z.string() }),
  message: z.object({
    uid: z.number().int().positive(),
    uidValidity: z.number().int().nonnegative(),
    messageId: z.string().nullable(),
    inReplyTo: z.string().nullable(),
    references: z.array(z.string()),
    threadKey: z.string().nullable(),
    /** Date header, ISO-8601; null when missing or unparseable. */
    date: z.string().nullable(),
    /** IMAP INTERNALDATE, ISO-8601: when the server received the message. */
    internalDate: z.string().nullable(),
    subject: z.string(),
    from: z.array(Address),
    to: z.array(Address),
    cc: z.array(Address),
    replyTo: z.array(Address),
    flags: z.array(z.string()),
    size: z.number().int().nonnegative(),
    /** Only when the webhook includes headers: lower-cased name → decoded values in order. */
    headers: z.record(z.string(), z.array(z.string())).optional(),
    /** Only when the webhook includes text; null when the message has no text part. */
    text: z.string().nullable().optional(),
    textTruncated: z.boolean(),
    /** Only when the webhook includes html; null when the message has no HTML part. */
    html: z.string().nullable().optional(),
    htmlTruncated: z.boolean().optional(),
    /** Empty unless the webhook includes attachments; `content` only with attachments: "content". */
    attachments: z.array(AttachmentMeta),
    /**
     * Which path read the body: `bodystructure` (only the parts the rules need), `source` (the
     * whole source, capped, parsed as one: the message's structure could not be used), `headers`
     * (the body could not be parsed at all; text and attachments are empty for that reason).
     */
    parsedFrom: z.enum(["bodystructure", "source", "headers"]),
    /** base64 of the raw RFC 822 source, only when the webhook includes raw. */
    raw: z.string().optional(),
  }),
  rule: z.object({ id: z.string(), name: z.string() }),
  /** Values the rule's `extract` section pulled out; null when a pattern did not match. */
  extracted: z.record(z.string(), z.string().nullable()),
});
export type WebhookPayload = z.infer<typeof WebhookPayload>;

/** What a webhook action copies into the payload beyond the always-present envelope fields. */
export const PayloadInclude = z.object({
  text: z.boolean(),
  html: z.boolean(),
  headers: z.boolean(),
  attachments: z.enum(["none", "metadata", "content"]),
  raw: z.boolean(),
});
export type PayloadInclude = z.infer<typeof PayloadInclude>;

export interface BuildPayloadArgs {
  deliveryId: string;
  now: Date;
  tenant: string;
  mailbox: { id: string; address: string; folder: string };
  message: MailMessage;
  rule: { id: string; name: string };
  extracted: Record<string, string | null>;
  include: PayloadInclude;
}

/**
 * The payload for one (message, rule, endpoint). `include` decides what is copied in, so one message
 * fetched for several rules yields for each endpoint only what that endpoint asked for. Build it once
 * per delivery and store the serialised body: retries must send the same bytes.
 */
export function buildPayload(args: BuildPayloadArgs): WebhookPayload {
  const { message: m, include } = args;
  const message: WebhookPayload["message"] = {
    uid: m.uid,
    uidValidity: m.uidValidity,
    messageId: m.messageId,
    inReplyTo: m.inReplyTo,
    references: m.references,
    threadKey: m.threadKey,
    date: m.date,
    internalDate: m.internalDate,
    subject: m.subject,
    from: m.from,
    to: m.to,
    cc: m.cc,
    replyTo: m.replyTo,
    flags: m.flags,
    size: m.size,
    textTruncated: include.text ? m.textTruncated : false,
    attachments: attachmentsFor(m.attachments, include.attachments),
    parsedFrom: m.parsedFrom ?? "bodystructure",
  };
  if (include.headers) message.headers = m.headers;
  if (include.text) message.text = m.text;
  if (include.html) {
    message.html = m.html;
    message.htmlTruncated = m.htmlTruncated;
  }
  if (include.raw && m.raw !== undefined) message.raw = m.raw;
  return {
    type: "message.matched",
    version: 1,
    id: args.deliveryId,
    timestamp: args.now.toISOString(),
    tenant: args.tenant,
    mailbox: { id: args.mailbox.id, address: args.mailbox.address, folder: args.mailbox.folder },
    message,
    rule: { id: args.rule.id, name: args.rule.name },
    extracted: args.extracted,
  };
}

function attachmentsFor(list: AttachmentMeta[], mode: PayloadInclude["attachments"]): AttachmentMeta[] {
  if (mode === "none") return [];
  if (mode === "content") return list;
  return list.map(({ content: _content, ...meta }) => meta);
}
