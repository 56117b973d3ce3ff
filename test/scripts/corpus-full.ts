/**
 * The corpus comparison over all 6,046 SpamAssassin messages (CI runs a 300-message subset in
 * test/corpus.test.ts). Run from the repo root:
 *
 *   npx tsx test/scripts/corpus-full.ts            # all messages
 *   npx tsx test/scripts/corpus-full.ts 1000       # a deterministic subset
 *
 * Exits non-zero on any exception or unexplained difference.
 */
import { startDovecot } from "@mailhook/testing";
import { classifyDifference } from "./corpus-classes.js";
import { corpusSubset, formatReport, loadCorpusMessage, runCorpusComparison } from "./corpus-compare.js";

const arg = process.argv[2];
const count = arg ? Number(arg) : "full";
const dovecot = await startDovecot();
try {
  const user = await dovecot.createUser("corpus");
  const client = await dovecot.client(user);
  const messages = corpusSubset(count).map(loadCorpusMessage);
  const t = performance.now();
  const report = await runCorpusComparison(client, "INBOX", messages, classifyDifference);
  await client.logout();
  process.stdout.write(`${formatReport(report)}\n  total ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  if (process.env.CORPUS_DUMP) {
    const { writeFileSync } = await import("node:fs");
    writeFileSync(process.env.CORPUS_DUMP, JSON.stringify(report, null, 1));
  }
  const unexplained = report.mismatches.filter((m) => m.cls === null).length;
  process.exitCode = report.errors.length || unexplained ? 1 : 0;
} finally {
  await dovecot.stop();
}
