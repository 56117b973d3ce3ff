import type { Address, ContentNeeds, MailMessage } from "@mailhook/model";
import { nfc } from "./text.js";

/**
 * How a field's values compare: text (string ops, case-folded by default), number (sizes and
 * counts), date (epoch milliseconds, compared with gt/lt), boolean (equals true/false).
 */
export type FieldKind = "text" | "number" | "date" | "boolean";

export type FieldValue = string | number | boolean;

/** A resolved field name: how to read it from a message and what the fetch planner must get for it. */
export interface FieldSpec {
  /** Canonical spelling (`replyTo.address`, `header:x-foo`); used as the per-message cache key. */
  key: string;
  kind: FieldKind;
  read: (message: MailMessage) => FieldValue[];
  needs: Partial<ContentNeeds>;
}

/** Header values, names and addresses arrive with folding whitespace; bodies are left as they are. */
const clean = (s: string): string => nfc(s).trim();

const addressLists = {
  from: (m: MailMessage) => m.from,
  sender: (m: MailMessage) => m.sender,
  to: (m: MailMessage) => m.to,
  cc: (m: MailMessage) => m.cc,
  bcc: (m: MailMessage) => m.bcc,
  replyTo: (m: MailMessage) => m.replyTo,
} satisfies Record<string, (m: MailMessage) => Address[]>;

type AddressList = keyof typeof addressLists;
const addressParts = ["address", "name", "domain"] as const;
type AddressPart = (typeof addressParts)[number];

function addressPart(part: AddressPart, a: Address): string {
  if (part === "name") return clean(a.name);
  const address = clean(a.address).toLowerCase();
  if (part === "address") return address;
  const at = address.lastIndexOf("@");
  return at < 0 ? "" : address.slice(at + 1);
}

function addressField(list: AddressList, part: AddressPart): FieldSpec {
  const get = addressLists[list];
  return {
    key: `${list}.${part}`,
    kind: "text",
    read: (m) => get(m).map((a) => addressPart(part, a)),
    needs: {},
  };
}

const nonNull = <T>(v: T | null | undefined): T[] => (v === null || v === undefined ? [] : [v]);

function dateMs(iso: string | null): number[] {
  if (iso === null) return [];
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? [] : [ms];
}

const simpleFields: Record<string, FieldSpec> = {
  subject: { key: "subject", kind: "text", read: (m) => [clean(m.subject)], needs: {} },
  text: {
    key: "text",
    kind: "text",
    read: (m) => nonNull(m.text).map(nfc),
    needs: { text: true },
  },
  html: {
    key: "html",
    kind: "text",
    read: (m) => nonNull(m.html).map(nfc),
    needs: { html: true },
  },
  size: { key: "size", kind: "number", read: (m) => [m.size], needs: {} },
  date: { key: "date", kind: "date", read: (m) => dateMs(m.date), needs: {} },
  internalDate: { key: "internalDate", kind: "date", read: (m) => dateMs(m.internalDate), needs: {} },
  flags: { key: "flags", kind: "text", read: (m) => m.flags.map(clean), needs: {} },
  folder: { key: "folder", kind: "text", read: (m) => [nfc(m.folder)], needs: {} },
  messageId: { key: "messageId", kind: "text", read: (m) => nonNull(m.messageId).map(clean), needs: {} },
  inReplyTo: { key: "inReplyTo", kind: "text", read: (m) => nonNull(m.inReplyTo).map(clean), needs: {} },
  references: {
    key: "references",
    kind: "text",
    read: (m) => m.references.map(clean),
    needs: { headers: ["references"] },
  },
  "attachment.filename": {
    key: "attachment.filename",
    kind: "text",
    read: (m) => m.attachments.flatMap((a) => nonNull(a.filename).map(clean)),
    needs: { attachments: "metadata" },
  },
  "attachment.contentType": {
    key: "attachment.contentType",
    kind: "text",
    read: (m) => m.attachments.map((a) => clean(a.contentType).toLowerCase()),
    needs: { attachments: "metadata" },
  },
  "attachment.size": {
    key: "attachment.size",
    kind: "number",
    read: (m) => m.attachments.map((a) => a.size),
    needs: { attachments: "metadata" },
  },
  "attachment.count": {
    key: "attachment.count",
    kind: "number",
    read: (m) => [m.attachments.length],
    needs: { attachments: "metadata" },
  },
  hasAttachments: {
    key: "hasAttachments",
    kind: "boolean",
    read: (m) => [m.attachments.length > 0],
    needs: { attachments: "metadata" },
  },
};

/** RFC 5322 field-name: printable ASCII except ':' and space. */
const HEADER_NAME = /^[!-9;-~]+$/;

/** Spellings users write for an address list; `reply-to` is the header name, `replyTo` the model's. */
const listAliases: Record<string, AddressList> = {
  from: "from",
  sender: "sender",
  to: "to",
  cc: "cc",
  bcc: "bcc",
  replyTo: "replyTo",
  "reply-to": "replyTo",
};

const specCache = new Map<string, FieldSpec>();

/** Resolves a field name as written in a rule, or null when mailhook does not know it. */
export function parseField(name: string): FieldSpec | null {
  const cached = specCache.get(name);
  if (cached) return cached;
  const spec = resolve(name);
  // Bounded: only names that resolve are cached, and there are few distinct ones besides headers.
  if (spec && specCache.size < 10_000) specCache.set(name, spec);
  return spec;
}

function resolve(name: string): FieldSpec | null {
  const simple = simpleFields[name];
  if (simple) return simple;
  if (name.toLowerCase().startsWith("header:")) {
    const header = name.slice("header:".length).trim().toLowerCase();
    if (!HEADER_NAME.test(header)) return null;
    return {
      key: `header:${header}`,
      kind: "text",
      read: (m) => (m.headers[header] ?? []).map(clean),
      needs: { headers: [header] },
    };
  }
  const dot = name.indexOf(".");
  const listName = dot < 0 ? name : name.slice(0, dot);
  const list = listAliases[listName];
  if (!list) return null;
  if (dot < 0) return addressField(list, "address");
  const part = name.slice(dot + 1);
  return (addressParts as readonly string[]).includes(part) ? addressField(list, part as AddressPart) : null;
}

/** Every field name (one spelling each) for docs and error hints; headers are `header:<name>`. */
export const FIELD_NAMES: readonly string[] = [
  ...Object.keys(addressLists).flatMap((l) => [l, ...addressParts.map((p) => `${l}.${p}`)]),
  "reply-to.address",
  ...Object.keys(simpleFields),
  "header:<name>",
];
