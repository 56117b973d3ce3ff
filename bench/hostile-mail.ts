/**
 * Hostile neighbours: APPEND → webhook latency of ordinary messages, in one mailbox, (a) alone and
 * (b) interleaved with the hostile corpus (packages/testing/src/hostile-mail.ts: 2 MB headers,
 * 10,000 recipients, deep nesting, 5,000 parts, broken boundaries, NUL, 30 MB…), both in the same
 * run against the same watcher and worker. Ordinary messages are appended at a steady pace; in (b)
 * a hostile message goes in after every few ordinary ones.
 * Target (issue 10): p99 of (b) within 2× of (a), and every hostile message delivered.
 *
 * Run: npx tsx bench/hostile-mail.ts [--ordinary 200] [--rate 10] [--json path]
 */
import { hostileCorpus, makeMail } from "@mailhook/testing";
import type { ImapFlow } from "imapflow";
import { numberOption } from "./support/args.js";
import { describeMachine } from "./support/machine.js";
import { resultOut, writeResult } from "./support/results.js";
import { type Distribution, distribution, round } from "./support/stats.js";
import { benchMailbox, startMailhook, startWorld } from "./support/world.js";

const ORDINARY = numberOption("ordinary", 200);
const RATE = numberOption("rate", 10);
const OUT = resultOut("hostile-mail");

export interface HostileResult {
  ordinary: number;
  ratePerSecond: number;
  hostileMessages: number;
  hostileDelivered: number;
  cleanMs: Distribution;
  interleavedMs: Distribution;
  p99Ratio: number;
  target: { p99Ratio: number; met: boolean };
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const machine = describeMachine();
const world = await startWorld({ keepBodies: true });
try {
  const mh = await startMailhook(world);
  try {
    const user = await world.dovecot.createUser("hostile");
    await mh.store.putMailbox(benchMailbox(world, user, "hostile", "new"));
    await mh.waitConnected(["hostile"], 30_000);
    const appender = await world.dovecot.client(user, { imapflow: { disableAutoIdle: true } });
    const corpus = hostileCorpus();
    /** Subject → performance.now() of its APPEND answer. */
    const appended = new Map<string, number>();
    const parsed = new WeakMap<object, string>();
    /** A webhook's subject, parsed once per hit (some bodies list 5,000 attachments). */
    const subjectOf = (hit: { body?: string }) => {
      let s = parsed.get(hit);
      if (s === undefined) {
        s = (JSON.parse(hit.body ?? "{}") as { message?: { subject?: string } }).message?.subject ?? "";
        parsed.set(hit, s);
      }
      return s;
    };

    const phase = async (name: string, withHostile: boolean): Promise<number[]> => {
      const every = Math.max(1, Math.floor(ORDINARY / corpus.length));
      const start = performance.now();
      const subjects: string[] = [];
      for (let i = 0; i < ORDINARY; i++) {
        const wait = start + (i * 1000) / RATE - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const subject = `${name} ${i}`;
        await append(appender, await makeMail({ subject, text: `ordinary ${i}` }));
        appended.set(subject, performance.now());
        subjects.push(subject);
        const h = corpus[i / every];
        if (withHostile && i % every === 0 && h) await append(appender, h.raw);
      }
      const archived = () => world.receiver.hits.filter((h) => h.path === "/mailhook/archive");
      const want = [...subjects, ...(withHostile ? corpus.map((m) => `[hostile:${m.name}] ${m.name}`) : [])];
      const deadline = Date.now() + 600_000;
      while (Date.now() < deadline) {
        const got = new Set(archived().map((h) => subjectOf(h)));
        if (want.every((s) => got.has(s))) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const at = new Map(archived().map((h) => [subjectOf(h), h.at] as const));
      if (withHostile) {
        hostileDelivered = corpus.filter((m) => at.has(`[hostile:${m.name}] ${m.name}`)).length;
      }
      return subjects.flatMap((s) => {
        const got = at.get(s);
        const sent = appended.get(s);
        return got !== undefined && sent !== undefined ? [got - sent] : [];
      });
    };
    let hostileDelivered = 0;
    const clean = await phase("clean", false);
    const mixed = await phase("mixed", true);
    await appender.logout().catch(() => appender.close());
    const cleanMs = distribution(clean);
    const interleavedMs = distribution(mixed);
    const p99Ratio = round(interleavedMs.p99 / cleanMs.p99);
    const result: HostileResult = {
      ordinary: ORDINARY,
      ratePerSecond: RATE,
      hostileMessages: corpus.length,
      hostileDelivered,
      cleanMs,
      interleavedMs,
      p99Ratio,
      target: {
        p99Ratio: 2,
        met: p99Ratio <= 2 && hostileDelivered === corpus.length && mixed.length === ORDINARY,
      },
    };
    log(
      `hostile: clean p50 ${cleanMs.p50} p99 ${cleanMs.p99} ms; interleaved p50 ${interleavedMs.p50} p99 ${interleavedMs.p99} ms; ratio ${p99Ratio}; hostile delivered ${hostileDelivered}/${corpus.length}; ordinary ${mixed.length}/${ORDINARY}`,
    );
    writeResult(OUT, "hostile-mail", machine, result);
  } finally {
    await mh.stop();
  }
} finally {
  await world.stop();
}

async function append(client: ImapFlow, raw: Buffer): Promise<void> {
  await client.append("INBOX", raw);
}
