/**
 * Bytes read from IMAP per message versus the whole source (RFC822.SIZE), for what rules need:
 * (a) headers only, (b) headers + text, (c) attachment metadata, and, for scale, (d) the full
 * source as a naive worker would download it. Measured on the socket by a counting TCP proxy
 * between imapflow and a real Dovecot, not estimated.
 *
 * Inputs: a deterministic subset of the SpamAssassin corpus (text-heavy, 2002-era mail) and
 * generated mail with 1–20 MB attachments (nodemailer's MailComposer, so the MIME is real).
 *
 * Run: npx tsx bench/bytes.ts [--corpus 300|full] [--json bench/results/bytes.json]
 */

import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { fetchMessages } from "../packages/mime/src/index.js";
import { type ContentNeeds, DEFAULT_FETCH_LIMITS, NO_NEEDS } from "../packages/model/src/index.js";
import { makeMail, startDovecot, startTcpProxy } from "../packages/testing/src/index.js";
import { corpusSubset, loadCorpusMessage } from "../test/scripts/corpus-compare.js";

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const corpusCount = opt("corpus") === "full" ? "full" : Number(opt("corpus") ?? 300);
const jsonOut = opt("json");

const SCENARIOS: Record<string, ContentNeeds> = {
  "a headers only": NO_NEEDS,
  "b headers+text": { ...NO_NEEDS, text: true },
  "c attachment metadata": { ...NO_NEEDS, attachments: "metadata" },
};
const BATCH = 500;

const dovecot = await startDovecot();
const proxy = await startTcpProxy({ host: dovecot.host, port: dovecot.port });
const results: Record<string, unknown> = {};
try {
  const user = await dovecot.createUser("bytes");
  const corpus = corpusSubset(corpusCount).map((name) => loadCorpusMessage(name).raw);
  await dovecot.appendMany(user.user, "Corpus", corpus);

  // A few KB of text and HTML beside one big attachment: the shape of an invoice or a report.
  const sizesMb = [1, 2, 5, 10, 20];
  const big: Buffer[] = [];
  for (const mb of sizesMb) {
    big.push(
      await makeMail({
        subject: `report with ${mb} MB`,
        text: "Please find the monthly report attached.\n".repeat(50),
        html: `<p>${"Please find the monthly report attached. ".repeat(50)}</p>`,
        attachments: [
          { filename: `report-${mb}mb.pdf`, contentType: "application/pdf", content: randomBytes(mb << 20) },
        ],
      }),
    );
  }
  await dovecot.appendMany(user.user, "Big", big);

  const client = await dovecot.client(user, { port: proxy.port, imapflow: { disableAutoIdle: true } });
  const measure = async <T>(fn: () => Promise<T>): Promise<number> => {
    await client.noop();
    proxy.resetCounters();
    await fn();
    return proxy.bytesFromTarget() + proxy.bytesToTarget();
  };

  const lines: string[] = [];
  const row = (label: string, bytes: number, n: number, source: number) =>
    lines.push(
      `  ${label.padEnd(24)} ${(bytes / n).toFixed(0).padStart(10)} B/msg  ${((100 * bytes) / source).toFixed(2).padStart(7)} % of source`,
    );

  for (const folder of ["Corpus", "Big"]) {
    const box = await client.mailboxOpen(folder);
    const target = { mailboxId: "mbx_bench", folder, uidValidity: Number(box.uidValidity) };
    const sizes = new Map<number, number>();
    for await (const m of client.fetch("1:*", { uid: true, size: true }, { uid: true }))
      sizes.set(m.uid, m.size ?? 0);
    const uids = [...sizes.keys()];
    const source = [...sizes.values()].reduce((a, b) => a + b, 0);
    lines.push(
      `${folder}: ${uids.length} messages, ${(source / uids.length).toFixed(0)} B/msg source (RFC822.SIZE)`,
    );
    const folderResult: Record<string, unknown> = { messages: uids.length, sourceBytes: source };
    for (const [label, needs] of Object.entries(SCENARIOS)) {
      const bytes = await measure(async () => {
        for (let i = 0; i < uids.length; i += BATCH) {
          await fetchMessages(client, target, uids.slice(i, i + BATCH), needs, DEFAULT_FETCH_LIMITS);
        }
      });
      row(label, bytes, uids.length, source);
      folderResult[label] = {
        bytes,
        perMessage: bytes / uids.length,
        percentOfSource: (100 * bytes) / source,
      };
    }
    const full = await measure(async () => {
      for (let i = 0; i < uids.length; i += BATCH) {
        const range = uids.slice(i, i + BATCH).join(",");
        for await (const _ of client.fetch(range, { uid: true, source: true }, { uid: true })) {
          // drained: only the bytes on the socket matter
        }
      }
    });
    row("d full source (naive)", full, uids.length, source);
    folderResult["d full source (naive)"] = { bytes: full, perMessage: full / uids.length };

    if (folder === "Big") {
      const perMessage: { sourceBytes: number; readBytes: number }[] = [];
      folderResult.perMessage = perMessage;
      lines.push("  per message, headers+text:");
      for (const uid of uids) {
        const bytes = await measure(() =>
          fetchMessages(client, target, [uid], SCENARIOS["b headers+text"]!, DEFAULT_FETCH_LIMITS),
        );
        const size = sizes.get(uid) ?? 1;
        lines.push(
          `    ${(size / 2 ** 20).toFixed(1).padStart(5)} MB source: ${String(bytes).padStart(7)} B read (${((100 * bytes) / size).toFixed(3)} %)`,
        );
        perMessage.push({ sourceBytes: size, readBytes: bytes });
      }
    }
    results[folder] = folderResult;
  }
  await client.logout();
  process.stdout.write(`${lines.join("\n")}\n`);
  if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(results, null, 2)}\n`);
} finally {
  await proxy.stop();
  await dovecot.stop();
}
