import type { AttachmentMeta, ContentNeeds, FetchLimits } from "@mailhook/model";
import type { MessageStructureObject } from "imapflow";
import libmime from "libmime";
import { ALWAYS_HEADERS } from "./headers.js";

/** One body section to fetch: imapflow's `bodyParts` entry (`BODY.PEEK[key]<0.maxLength>`). */
export interface BodySection {
  key: string;
  /** Byte cap on the wire (an IMAP partial fetch); absent = the whole section. */
  maxLength?: number;
}

/** A leaf MIME part the payload reads, with what it takes to decode it. */
export interface PartRef {
  /** IMAP section number ("1", "2.1"); a single-part message's body is "1". */
  partId: string;
  contentType: string;
  /** Transfer encoding as the server reported it, lower-cased ("" when missing). */
  encoding: string;
  charset: string | undefined;
  /** text/plain; format=flowed (RFC 3676): soft line breaks are joined when decoding. */
  flowed: boolean;
  delSp: boolean;
  /** Encoded size from BODYSTRUCTURE. */
  size: number;
}

/** A part that contributes to `text`: plain as is, html converted to text. */
export interface TextSource extends PartRef {
  kind: "plain" | "html";
}

/** What to fetch for one message, and how to turn the answers into a MailMessage. */
export interface FetchPlan {
  /** Header fields for `BODY.PEEK[HEADER.FIELDS (…)]`, or "all" for `BODY.PEEK[HEADER]`. */
  headers: "all" | string[];
  /** needs.text: `text` is a string ("" when the message has none), else null. */
  wantText: boolean;
  /** needs.html: `html` is a string ("" when the message has none), else null. */
  wantHtml: boolean;
  /** Parts whose decoded text, joined with "\n", is `text` (empty unless needs.text). */
  text: TextSource[];
  /** Inline text/html parts, joined into `html` (empty unless needs.html). */
  html: PartRef[];
  /** Attachment metadata, from BODYSTRUCTURE alone (always listed: it costs no extra bytes). */
  attachments: AttachmentMeta[];
  /** Attachments whose bytes to download (needs.attachments = "content" and under the cap). */
  attachmentContent: PartRef[];
  /** Every body section to fetch, each once, sorted by key. */
  sections: BodySection[];
  /** Download the whole source (needs.raw). */
  raw: boolean;
}

// A header field name that is also a plain IMAP atom: names come from user rules and are sent
// inside HEADER.FIELDS (…), so a space, parenthesis, quote or CR would change the command.
const HEADER_NAME = /^[a-z0-9!#$&'+.^_`|~-]+$/;

// Leaf types mailparser treats as body text when they are not attachments.
const TEXT_TYPES = new Set(["text/plain", "text/html", "message/delivery-status"]);

function lower(value: string | undefined): string {
  return (value ?? "").trim().toLowerCase();
}

function param(params: Record<string, string> | undefined, name: string): string | undefined {
  if (!params) return undefined;
  const value = params[name];
  if (value !== undefined) {
    // imapflow has decoded encoded words already; a fixture or another client may not have.
    return value.includes("=?") ? libmime.decodeWords(value) : value;
  }
  // An RFC 2231 value the client left undecoded (name*=utf-8''…, name*0*=…).
  const keys = Object.keys(params).filter((k) => k === `${name}*` || k.startsWith(`${name}*`));
  if (!keys.length) return undefined;
  const header = `x; ${keys.map((k) => `${k}=${quoteParam(params[k] ?? "")}`).join("; ")}`;
  return libmime.parseHeaderValue(header).params[name];
}

function quoteParam(value: string): string {
  return /^[^\s;"=]+$/.test(value) ? value : `"${value.replace(/(["\\])/g, "\\$1")}"`;
}

/** Decoded size of an encoded body: base64 lines of 76 characters + CRLF carry 57 bytes. */
export function estimateDecodedSize(size: number, encoding: string): number {
  return encoding === "base64" ? Math.floor((size * 57) / 78) : size;
}

/**
 * Wire bytes to ask for so that decoding yields at least `decodedCap` bytes: base64 spends 78 wire
 * bytes per 57 decoded, quoted-printable at most about 3.2 (every byte escaped, plus soft breaks).
 */
export function wireCap(decodedCap: number, encoding: string): number {
  switch (encoding) {
    case "base64":
      return (Math.ceil(decodedCap / 57) + 1) * 78;
    case "quoted-printable":
      return Math.ceil(decodedCap * 3.2) + 80;
    default:
      return decodedCap;
  }
}

interface Walked {
  node: MessageStructureObject;
  ref: PartRef;
  disposition: "inline" | "attachment";
  isAttachment: boolean;
  inAlternative: boolean;
  inRelated: boolean;
  isRoot: boolean;
}

/**
 * A missing or syntactically invalid Content-Type is text/plain (RFC 2045 5.2). Dovecot reports a
 * missing one as text/plain already, but an unparseable one (`TEXT/PLAIN charset=US-ASCII`, no
 * semicolon) as NIL/NIL, which imapflow turns into "/".
 */
export function mediaType(type: string | undefined): string {
  const t = lower(type);
  return /^[^/\s]+\/[^/\s]+$/.test(t) ? t : "text/plain";
}

function partRef(node: MessageStructureObject, contentType: string): PartRef {
  const format = lower(node.parameters?.format);
  return {
    partId: node.part ?? "1",
    contentType,
    encoding: lower(node.encoding),
    charset: node.parameters?.charset?.trim() || undefined,
    flowed: contentType === "text/plain" && format === "flowed",
    delSp: lower(node.parameters?.delsp) === "yes",
    size: node.size ?? 0,
  };
}

/**
 * Leaves in document order, classified the way mailparser classifies them: a leaf is body text
 * when it is text/plain, text/html or message/delivery-status without a disposition other than
 * inline; anything else is an attachment. message/rfc822 parts are attachments: their own text
 * and attachments are never read (they belong to the forwarded message, not to this one).
 */
function walk(structure: MessageStructureObject): Walked[] {
  const out: Walked[] = [];
  const visit = (
    node: MessageStructureObject,
    isRoot: boolean,
    inAlternative: boolean,
    inRelated: boolean,
  ) => {
    const declared = lower(node.type);
    if (declared.startsWith("multipart/")) {
      const contentType = declared;
      for (const child of node.childNodes ?? []) {
        visit(
          child,
          false,
          inAlternative || contentType === "multipart/alternative",
          inRelated || contentType === "multipart/related",
        );
      }
      return;
    }
    const contentType = mediaType(declared);
    let disposition = lower(node.disposition);
    if (disposition && disposition !== "inline" && disposition !== "attachment") disposition = "attachment";
    if (!disposition) disposition = TEXT_TYPES.has(contentType) ? "inline" : "attachment";
    const isAttachment = !TEXT_TYPES.has(contentType) || disposition !== "inline";
    out.push({
      node,
      ref: partRef(node, contentType),
      disposition: disposition as "inline" | "attachment",
      isAttachment,
      inAlternative,
      inRelated,
      isRoot,
    });
  };
  visit(structure, true, false, false);
  return out;
}

function attachmentMeta(w: Walked): AttachmentMeta {
  const { node, ref } = w;
  const filename = param(node.dispositionParameters, "filename") ?? param(node.parameters, "name") ?? null;
  let contentType = ref.contentType;
  if (contentType === "application/octet-stream" && filename) {
    // Many senders label everything octet-stream; mailparser guesses from the extension and so
    // do we, so that `attachment.contentType equals application/pdf` matches those as well.
    contentType = libmime.detectMimeType(filename) || contentType;
  }
  const contentId = node.id?.trim() || null;
  return {
    partId: ref.partId,
    filename,
    contentType,
    size: estimateDecodedSize(ref.size, ref.encoding),
    contentId,
    // Explicitly inline, or an image referenced from the HTML of a multipart/related.
    inline: w.disposition === "inline" || (contentId !== null && w.inRelated),
  };
}

/**
 * Decides which body sections to fetch for `needs`, from the BODYSTRUCTURE alone (pure).
 *
 * Text mirrors mailparser's `.text`: every inline text/plain part (several are joined with
 * "\n"); an inline text/html part is converted to text when it is outside an alternative and
 * the message has plain text too, or when it is the whole message. Unlike mailparser, an
 * HTML-only message whose HTML is not the root part (say multipart/mixed of text/html and a PDF)
 * gets its first HTML part converted too: rules on `text` should see HTML-only mail.
 *
 * @example
 * const plan = planFetch(msg.bodyStructure, { ...NO_NEEDS, text: true }, DEFAULT_FETCH_LIMITS);
 * // plan.sections → [{ key: "1" }] for a plain message
 */
export function planFetch(
  structure: MessageStructureObject | undefined,
  needs: ContentNeeds,
  limits: FetchLimits,
): FetchPlan {
  const headers: FetchPlan["headers"] =
    needs.headers === "all"
      ? "all"
      : [
          ...new Set([
            ...ALWAYS_HEADERS,
            ...needs.headers.map((h) => h.trim().toLowerCase()).filter((h) => HEADER_NAME.test(h)),
          ]),
        ];
  const plan: FetchPlan = {
    headers,
    wantText: needs.text,
    wantHtml: needs.html,
    text: [],
    html: [],
    attachments: [],
    attachmentContent: [],
    sections: [],
    raw: needs.raw,
  };
  // No BODYSTRUCTURE (a server that answered NIL): only headers, or the raw source, can be read.
  if (!structure) return plan;

  const leaves = walk(structure);
  const bodyLeaves = leaves.filter((w) => !w.isAttachment);
  const caps = new Map<string, number>();
  const want = (ref: PartRef, decodedCap: number) => {
    const cap = wireCap(decodedCap, ref.encoding);
    // Fetch whole when it fits: a partial fetch of a part smaller than the cap gains nothing.
    const wire = ref.size > 0 && ref.size <= cap ? Number.POSITIVE_INFINITY : cap;
    caps.set(ref.partId, Math.max(caps.get(ref.partId) ?? 0, wire));
  };

  if (needs.text) {
    const hasText = bodyLeaves.some((w) => w.ref.contentType !== "text/html");
    for (const w of bodyLeaves) {
      if (w.ref.contentType !== "text/html") {
        plan.text.push({ ...w.ref, kind: "plain" });
      } else if ((!w.inAlternative && hasText) || (w.isRoot && !hasText)) {
        plan.text.push({ ...w.ref, kind: "html" });
      }
    }
    if (!plan.text.length) {
      const html = bodyLeaves.find((w) => w.ref.contentType === "text/html");
      if (html) plan.text.push({ ...html.ref, kind: "html" });
    }
    for (const t of plan.text) {
      // HTML is converted after the fetch, so it is capped like HTML; the text cap comes after.
      want(t, t.kind === "html" ? limits.htmlBytes : limits.textBytes);
    }
  }

  if (needs.html) {
    for (const w of bodyLeaves) {
      if (w.ref.contentType === "text/html") {
        plan.html.push(w.ref);
        want(w.ref, limits.htmlBytes);
      }
    }
  }

  for (const w of leaves) {
    if (!w.isAttachment) continue;
    const meta = attachmentMeta(w);
    plan.attachments.push(meta);
    if (needs.attachments === "content" && meta.size <= limits.attachmentBytes) {
      plan.attachmentContent.push(w.ref);
      caps.set(w.ref.partId, Number.POSITIVE_INFINITY);
    }
  }

  plan.sections = [...caps]
    .sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true }))
    .map(([key, cap]) => (Number.isFinite(cap) ? { key, maxLength: cap } : { key }));
  return plan;
}
