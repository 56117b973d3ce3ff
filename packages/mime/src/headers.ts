import type { Address } from "@mailhook/model";
import libmime from "libmime";
import { type AddressObject, type EmailAddress, parseAddressHeader } from "mailparser";

/**
 * Header fields fetched for every message (`BODY.PEEK[HEADER.FIELDS (…)]`), whatever the rules say.
 *
 * mailhook reads these from the header block rather than from the IMAP ENVELOPE: the envelope is
 * the server's own parse (Dovecot decodes nothing, other servers differ in how they split odd
 * address lists and which duplicate header wins), while the header lines go through the same
 * libmime/addressparser code as mailparser's full parse, so the partial fetch and the dry-run
 * (`parseFullMessage`) see the same values. ENVELOPE is therefore not fetched at all.
 */
export const ALWAYS_HEADERS: string[] = [
  "date",
  "subject",
  "from",
  "sender",
  "reply-to",
  "to",
  "cc",
  "bcc",
  "message-id",
  "in-reply-to",
  "references",
];

/** The payload fields that come from the header block. */
export interface HeaderFields {
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  threadKey: string | null;
  date: string | null;
  subject: string;
  from: Address[];
  sender: Address[];
  to: Address[];
  cc: Address[];
  bcc: Address[];
  replyTo: Address[];
  /** Lower-cased name → unfolded values with encoded words decoded, in order of appearance. */
  headers: Record<string, string[]>;
}

/**
 * Splits a raw header block into lower-cased name → unfolded raw values. Bytes are read as
 * UTF-8 (raw 8-bit headers are nearly always UTF-8 today; mailparser reads them the same way).
 */
export function splitHeaderBlock(block: Buffer | string): Map<string, string[]> {
  const text = typeof block === "string" ? block : block.toString("binary");
  const parsed = libmime.decodeHeaders(text, { skipPrototypeKeys: true });
  const out = new Map<string, string[]>();
  for (const [key, values] of Object.entries(parsed)) {
    if (!key) continue;
    out.set(
      key,
      values.map((v) => Buffer.from(String(v).trim(), "binary").toString("utf8")),
    );
  }
  return out;
}

function decodeWords(value: string): string {
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

/** Wraps a message id in angle brackets, as mailparser does; empty → null. */
export function messageIdFormat(value: string): string | null {
  const v = value.trim();
  if (!v) return null;
  return `${v.startsWith("<") ? "" : "<"}${v}${v.endsWith(">") ? "" : ">"}`;
}

/** Flattens groups and normalises: address lower-cased, name decoded and trimmed. */
export function normaliseAddresses(list: EmailAddress[] | undefined): Address[] {
  const out: Address[] = [];
  for (const entry of list ?? []) {
    if (entry.group) {
      out.push(...normaliseAddresses(entry.group));
      continue;
    }
    const address = (entry.address ?? "").trim().toLowerCase();
    const name = (entry.name ?? "").trim();
    if (address || name) out.push({ name, address });
  }
  return out;
}

/** Addresses of mailparser's AddressObject(s) (several when the header repeats). */
export function addressesOf(value: AddressObject | AddressObject[] | undefined): Address[] {
  if (!value) return [];
  return (Array.isArray(value) ? value : [value]).flatMap((v) => normaliseAddresses(v.value));
}

/** Date header → ISO-8601, or null when missing or unparseable (mailparser would say "now"). */
export function parseDateHeader(value: string | undefined): string | null {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** Root of References, else In-Reply-To, else Message-ID; ids keep their angle brackets. */
export function threadKeyOf(
  references: string[],
  inReplyTo: string | null,
  messageId: string | null,
): string | null {
  return references[0] ?? inReplyTo ?? messageId;
}

function referencesOf(values: string[] | undefined): string[] {
  const out: string[] = [];
  for (const value of values ?? []) {
    for (const id of decodeWords(value).split(/\s+/)) {
      const formatted = messageIdFormat(id);
      if (formatted) out.push(formatted);
    }
  }
  return out;
}

/**
 * The payload fields of a raw header block (a `HEADER.FIELDS` answer or a whole header). Each
 * field follows mailparser's reading: the first Subject/Date/From/Message-ID wins, repeated
 * To/Cc/Bcc/References add up, ids get angle brackets.
 */
export function parseHeaderBlock(block: Buffer | string): HeaderFields {
  const raw = splitHeaderBlock(block);
  const first = (key: string): string | undefined => raw.get(key)?.[0];
  const addresses = (key: string, onlyFirst: boolean): Address[] => {
    const values = raw.get(key);
    if (!values?.length) return [];
    return normaliseAddresses(parseAddressHeader(onlyFirst ? values[0] : values).value);
  };
  const messageId = messageIdFormat(decodeWords(first("message-id") ?? ""));
  const inReplyTo = messageIdFormat(decodeWords(first("in-reply-to") ?? ""));
  const references = referencesOf(raw.get("references"));
  const headers: Record<string, string[]> = {};
  for (const [key, values] of raw) {
    headers[key] = values.map(decodeWords);
  }
  return {
    messageId,
    inReplyTo,
    references,
    threadKey: threadKeyOf(references, inReplyTo, messageId),
    date: parseDateHeader(first("date")),
    subject: decodeWords(first("subject") ?? ""),
    from: addresses("from", true),
    sender: addresses("sender", true),
    to: addresses("to", false),
    cc: addresses("cc", false),
    bcc: addresses("bcc", false),
    replyTo: addresses("reply-to", true),
    headers,
  };
}
