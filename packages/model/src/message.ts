import { z } from "zod";

/** A mail address as mailhook hands it to rules and webhooks: address lower-cased, name decoded. */
export const Address = z.object({
  name: z.string(),
  address: z.string(),
});
export type Address = z.infer<typeof Address>;

/** One attachment (or inline part) as read from BODYSTRUCTURE; bytes only when asked for. */
export const AttachmentMeta = z.object({
  partId: z.string(),
  filename: z.string().nullable(),
  contentType: z.string(),
  /** Decoded size estimate in bytes (BODYSTRUCTURE reports the encoded size; see docs/payload.md). */
  size: z.number().int().nonnegative(),
  contentId: z.string().nullable(),
  inline: z.boolean(),
  sha256: z.string().optional(),
  /** base64 of the decoded bytes, only when a webhook asks for attachment content and it fits the cap. */
  content: z.string().optional(),
});
export type AttachmentMeta = z.infer<typeof AttachmentMeta>;

/**
 * The normalised message that rules are evaluated against and webhooks are built from.
 * Produced by @mailhook/mime from a partial FETCH (or from a full parse for dry-runs).
 * Fields that the fetch plan did not ask for are null (text/html) or empty (headers).
 */
export const MailMessage = z.object({
  mailboxId: z.string(),
  folder: z.string(),
  uid: z.number().int().positive(),
  uidValidity: z.number().int().nonnegative(),
  messageId: z.string().nullable(),
  inReplyTo: z.string().nullable(),
  references: z.array(z.string()),
  /** Root of References, else In-Reply-To, else Message-ID: groups a conversation for ticket systems. */
  threadKey: z.string().nullable(),
  /** Date header as ISO-8601, null when missing or unparseable. Never used to decide what is new. */
  date: z.string().nullable(),
  /** IMAP INTERNALDATE as ISO-8601. */
  internalDate: z.string().nullable(),
  subject: z.string(),
  from: z.array(Address),
  sender: z.array(Address),
  to: z.array(Address),
  cc: z.array(Address),
  bcc: z.array(Address),
  replyTo: z.array(Address),
  flags: z.array(z.string()),
  /** RFC822.SIZE: bytes of the whole message on the server. */
  size: z.number().int().nonnegative(),
  /** Lower-cased header name → decoded values (in order); only the headers the plan fetched. */
  headers: z.record(z.string(), z.array(z.string())),
  text: z.string().nullable(),
  textTruncated: z.boolean(),
  html: z.string().nullable(),
  htmlTruncated: z.boolean(),
  attachments: z.array(AttachmentMeta),
  /**
   * Which path produced text, html and attachments: `bodystructure` (the planned partial fetch),
   * `source` (the capped whole source parsed with mailparser, when BODYSTRUCTURE was missing,
   * untrustworthy or named too many sections), `headers` (neither could be read: body fields are
   * empty because of the message's shape, not because it has no body). Absent means `bodystructure`.
   */
  parsedFrom: z.enum(["bodystructure", "source", "headers"]).optional(),
  /** base64 of the raw RFC 822 source, only when a rule asks for it. */
  raw: z.string().optional(),
});
export type MailMessage = z.infer<typeof MailMessage>;
