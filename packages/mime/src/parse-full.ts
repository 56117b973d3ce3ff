import { createHash } from "node:crypto";
import type { AttachmentMeta, MailMessage } from "@mailhook/model";
import type { ParsedMail } from "mailparser";
import type { MessageTarget } from "./build-message.js";
import { addressesOf, messageIdFormat, parseHeaderBlock, threadKeyOf } from "./headers.js";
import { htmlToText } from "./html-text.js";

/** A message given as a whole source: where it would live, and what IMAP would say about it. */
export interface FullMessageTarget extends MessageTarget {
  uid: number;
  flags?: string[];
  internalDate?: Date;
}

/**
 * mailparser's limits, raised from its defaults (1 MB header block per part, 1,000 parts) so that
 * the dry run reads what production reads: a 2 MB header or 5,000 parts are mail that arrives.
 * Beyond these a message is refused with {@link MimeLimitExceeded}, never an unexplained failure.
 */
export const PARSE_LIMITS = { maxHeadSize: 8 * 1024 * 1024, maxChildNodes: 20_000 } as const;

/** mailparser refused the message because of its shape (header block too large, too many parts). */
export class MimeLimitExceeded extends Error {
  readonly code = "MIME_LIMIT_EXCEEDED";
  readonly retryable = false;
  constructor(readonly reason: string) {
    super(`the message cannot be parsed: ${reason}`);
    this.name = "MimeLimitExceeded";
  }
}

export interface ParseFullOptions {
  /** Attach base64 `content` to attachments of at most this many decoded bytes. */
  contentBytes?: number;
}

// NUL cannot cross IMAP (a literal may not hold it); Dovecot sends 0x80 instead, which decodes to
// U+FFFD. The whole-source path does the same so both paths hand rules the same text.
const NUL = "\u0000";

/** The header block of a raw source: everything before the first empty line. */
export function headerBlockOf(raw: Buffer): Buffer {
  const crlf = raw.indexOf("\r\n\r\n");
  const lf = raw.indexOf("\n\n");
  const ends = [crlf >= 0 ? crlf + 2 : -1, lf >= 0 ? lf + 1 : -1].filter((i) => i >= 0);
  return ends.length ? raw.subarray(0, Math.min(...ends)) : raw;
}

function idList(value: string | string[] | undefined): string[] {
  return (Array.isArray(value) ? value : value ? [value] : []).flatMap((v) => {
    const id = messageIdFormat(v);
    return id ? [id] : [];
  });
}

/**
 * Parses a whole source with mailparser's simpleParser into the MailMessage the partial fetch
 * would produce: the dry-run/explain API uses it, and the corpus test uses it as the reference.
 * No caps apply (text and html are complete); attachment metadata carries sha256, not content.
 * Like the fetch path, an HTML-only message whose HTML is not the root part gets its HTML
 * converted to text (mailparser leaves `.text` empty there).
 *
 * @example
 * const msg = await parseFullMessage(readFileSync("x.eml"), { mailboxId: "mbx_1", folder: "INBOX", uidValidity: 1, uid: 1 });
 */
export async function parseFullMessage(
  raw: Buffer,
  target: FullMessageTarget,
  opts: ParseFullOptions = {},
): Promise<MailMessage> {
  let mail: ParsedMail;
  try {
    // Loaded on first use, from its own entry point: the services start without mailparser's
    // streaming parser (linkify-it builds its patterns at load), which only this path needs.
    const { default: simpleParser } = await import("mailparser/lib/simple-parser.js");
    mail = await simpleParser(raw, {
      skipTextToHtml: true,
      keepCidLinks: true,
      checksumAlgo: "sha256",
      ...PARSE_LIMITS,
    });
  } catch (err) {
    throw new MimeLimitExceeded(err instanceof Error ? err.message : String(err));
  }
  // The header map keeps every header; decoding and the invalid-Date rule follow the fetch path.
  const h = parseHeaderBlock(headerBlockOf(raw));
  const messageId = messageIdFormat(mail.messageId ?? "");
  const inReplyTo = messageIdFormat(mail.inReplyTo ?? "");
  const references = idList(mail.references);
  const html = typeof mail.html === "string" ? mail.html.replaceAll(NUL, "\uFFFD") : null;
  let text = (mail.text ?? "").replaceAll(NUL, "\uFFFD");
  if (!text && html !== null && !mail.text) text = htmlToText(html);
  const attachments: AttachmentMeta[] = mail.attachments.map((a) => {
    const meta: AttachmentMeta = {
      partId: a.partId ?? "",
      filename: a.filename ?? null,
      contentType: a.contentType.toLowerCase(),
      size: a.size,
      contentId: a.contentId?.trim() || null,
      inline: a.contentDisposition === "inline" || a.related === true,
      sha256: createHash("sha256").update(a.content).digest("hex"),
    };
    if (opts.contentBytes !== undefined && a.content.length <= opts.contentBytes) {
      meta.content = a.content.toString("base64");
    }
    return meta;
  });
  return {
    mailboxId: target.mailboxId,
    folder: target.folder,
    uid: target.uid,
    uidValidity: target.uidValidity,
    messageId,
    inReplyTo,
    references,
    threadKey: threadKeyOf(references, inReplyTo, messageId),
    // mailparser turns an unparseable Date into "now"; mailhook says null, as the fetch path does.
    date: mail.date && h.date !== null ? mail.date.toISOString() : null,
    internalDate: target.internalDate ? target.internalDate.toISOString() : null,
    subject: mail.subject ?? "",
    from: addressesOf(mail.from),
    sender: addressesOf(mail.headers.get("sender") as Parameters<typeof addressesOf>[0]),
    to: addressesOf(mail.to),
    cc: addressesOf(mail.cc),
    bcc: addressesOf(mail.bcc),
    replyTo: addressesOf(mail.replyTo),
    flags: target.flags ?? [],
    size: raw.length,
    headers: h.headers,
    text,
    textTruncated: false,
    html,
    htmlTruncated: false,
    attachments,
  };
}
