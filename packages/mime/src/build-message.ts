import { createHash } from "node:crypto";
import type { AttachmentMeta, FetchLimits, MailMessage } from "@mailhook/model";
import libmime from "libmime";
import { decodeBody, decodeTransfer, truncateUtf8 } from "./decode-body.js";
import type { FetchPlan, PartRef, TextSource } from "./fetch-planner.js";
import { parseHeaderBlock } from "./headers.js";
import { htmlToText } from "./html-text.js";

/** Where a message lives; every MailMessage carries it. */
export interface MessageTarget {
  mailboxId: string;
  folder: string;
  uidValidity: number;
}

/** What the metadata FETCH returned for one UID. */
export interface FetchedMeta {
  uid: number;
  flags: string[];
  internalDate: Date | string | undefined;
  size: number;
  /** The `HEADER.FIELDS` (or whole `HEADER`) answer. */
  headers: Buffer | undefined;
}

/** Decoded text of one part: charset, format=flowed, CRLF → LF, HTML → text when asked. */
export function decodeTextPart(bytes: Buffer, ref: PartRef, partial: boolean, asText: boolean): string {
  let text = decodeBody(bytes, ref.encoding, ref.charset, { truncated: partial });
  if (ref.flowed) text = libmime.decodeFlowed(text, ref.delSp);
  text = text.replace(/\r?\n/g, "\n");
  return asText && ref.contentType === "text/html" ? htmlToText(text) : text;
}

function sectionCap(plan: FetchPlan, partId: string): number | undefined {
  return plan.sections.find((s) => s.key === partId)?.maxLength;
}

/** The part was cut by a partial fetch (its encoded size exceeds what was asked for). */
function isPartial(plan: FetchPlan, ref: PartRef): boolean {
  const cap = sectionCap(plan, ref.partId);
  return cap !== undefined && ref.size > cap;
}

function joinText(
  plan: FetchPlan,
  sources: TextSource[] | PartRef[],
  parts: Map<string, Buffer>,
  separator: string,
  maxBytes: number,
  asText: boolean,
): { value: string; truncated: boolean } {
  const pieces: string[] = [];
  let truncated = false;
  for (const ref of sources) {
    const bytes = parts.get(ref.partId);
    if (!bytes?.length) continue;
    const partial = isPartial(plan, ref);
    truncated ||= partial;
    pieces.push(decodeTextPart(bytes, ref, partial, asText));
  }
  const cut = truncateUtf8(pieces.join(separator), maxBytes);
  return { value: cut.text, truncated: truncated || cut.truncated };
}

function withContent(
  meta: AttachmentMeta,
  ref: PartRef,
  bytes: Buffer | undefined,
  cap: number,
): AttachmentMeta {
  if (!bytes) return meta;
  const decoded = decodeTransfer(bytes, ref.encoding);
  // The size estimate let it through; the real decoded size decides.
  if (decoded.length > cap) return { ...meta, size: decoded.length };
  return {
    ...meta,
    size: decoded.length,
    sha256: createHash("sha256").update(decoded).digest("hex"),
    content: decoded.toString("base64"),
  };
}

/**
 * Assembles the MailMessage of one UID from the metadata FETCH, the plan and the fetched
 * sections (keyed by part id, as imapflow's `bodyParts`).
 */
export function buildMessage(
  target: MessageTarget,
  meta: FetchedMeta,
  plan: FetchPlan,
  parts: Map<string, Buffer>,
  limits: FetchLimits,
  raw?: Buffer,
): MailMessage {
  const h = parseHeaderBlock(meta.headers ?? Buffer.alloc(0));
  const text = plan.text.length
    ? joinText(plan, plan.text, parts, "\n", limits.textBytes, true)
    : { value: "", truncated: false };
  const html = plan.html.length
    ? joinText(plan, plan.html, parts, "<br/>\n", limits.htmlBytes, false)
    : { value: "", truncated: false };
  const contentRefs = new Map(plan.attachmentContent.map((r) => [r.partId, r]));
  const attachments = plan.attachments.map((a) => {
    const ref = contentRefs.get(a.partId);
    return ref ? withContent(a, ref, parts.get(a.partId), limits.attachmentBytes) : a;
  });
  const internal =
    meta.internalDate instanceof Date
      ? meta.internalDate
      : meta.internalDate
        ? new Date(meta.internalDate)
        : null;
  const message: MailMessage = {
    mailboxId: target.mailboxId,
    folder: target.folder,
    uid: meta.uid,
    uidValidity: target.uidValidity,
    messageId: h.messageId,
    inReplyTo: h.inReplyTo,
    references: h.references,
    threadKey: h.threadKey,
    date: h.date,
    internalDate: internal && !Number.isNaN(internal.getTime()) ? internal.toISOString() : null,
    subject: h.subject,
    from: h.from,
    sender: h.sender,
    to: h.to,
    cc: h.cc,
    bcc: h.bcc,
    replyTo: h.replyTo,
    flags: meta.flags,
    size: meta.size,
    headers: h.headers,
    text: plan.wantText ? text.value : null,
    textTruncated: text.truncated,
    html: plan.wantHtml ? html.value : null,
    htmlTruncated: html.truncated,
    attachments,
  };
  if (raw) message.raw = raw.toString("base64");
  return message;
}
