import { startDovecot, type TestDovecot } from "@mailhook/testing";
import type { ImapFlow } from "imapflow";
import { afterAll, beforeAll, expect, it } from "vitest";
import { classifyDifference } from "./scripts/corpus-classes.js";
import {
  type CorpusReport,
  corpusSubset,
  formatReport,
  loadCorpusMessage,
  runCorpusComparison,
} from "./scripts/corpus-compare.js";

// The proof that the planner-driven partial fetch reads what mailparser reads from the whole
// source: 300 SpamAssassin messages chosen deterministically (every n-th of the sorted list),
// or all 6,046 with MAILHOOK_CORPUS=full (also: npx tsx test/scripts/corpus-full.ts).
const full = process.env.MAILHOOK_CORPUS === "full";
const names = corpusSubset(full ? "full" : 300);
const DOCUMENTED = new Set([
  "inline-message-rfc822",
  "malformed-content-type",
  "unquoted-parameter-with-space",
]);

let dovecot: TestDovecot;
let client: ImapFlow;
let report: CorpusReport;

beforeAll(async () => {
  dovecot = await startDovecot();
  const user = await dovecot.createUser("corpus");
  client = await dovecot.client(user);
  report = await runCorpusComparison(client, "INBOX", names.map(loadCorpusMessage), classifyDifference);
  process.stdout.write(`${formatReport(report)}\n`);
}, 600_000);

afterAll(async () => {
  await client?.logout().catch(() => {});
  await dovecot?.stop();
});

it("fetches and parses every message without an exception", () => {
  expect(report.messages).toBe(names.length);
  expect(report.errors).toEqual([]);
});

it("agrees with mailparser's full parse on every field, except documented classes", () => {
  const unexplained = report.mismatches.filter((m) => m.cls === null);
  expect(unexplained).toEqual([]);
  for (const cls of Object.keys(report.classes)) expect(DOCUMENTED.has(cls)).toBe(true);
  // Each documented class is rare (4 of 6,046 messages in the full corpus).
  expect(report.agreeing / report.messages).toBeGreaterThanOrEqual(0.995);
});

it("compares real content, not empty values", () => {
  const c = report.coverage;
  const n = report.messages;
  expect(c.withText).toBeGreaterThan(n * 0.95);
  expect(c.multipart).toBeGreaterThan(n * 0.05);
  expect(c.textFromHtml).toBeGreaterThan(n * 0.05);
  expect(c.legacyCharset).toBeGreaterThan(n * 0.1);
  expect(c.base64OrQpText).toBeGreaterThan(n * 0.05);
  expect(c.withAttachments).toBeGreaterThan(0);
});
