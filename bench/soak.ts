/**
 * Soak: does the worker's memory stay flat over a long run? One mailbox receives the SpamAssassin
 * corpus over and over (IMAP APPEND in waves while watcher and worker run as child processes with
 * the bench's 20 rules); after every wave the worker is asked for a full GC and its RSS is read.
 * Reported: RSS after 2,000 and after 20,000 messages, and their ratio.
 * Target (issue 10): RSS(20,000) ≤ 1.3 × RSS(2,000).
 *
 * Run: npx tsx bench/soak.ts [--messages 20000] [--wave 1000] [--json path]
 */
import { numberOption } from "./support/args.js";
import { corpusSources, split } from "./support/corpus.js";
import { describeMachine } from "./support/machine.js";
import { resultOut, writeResult } from "./support/results.js";
import { collectGarbage, spawnService } from "./support/services.js";
import { round } from "./support/stats.js";
import { benchMailbox, createInstallation, startWorld } from "./support/world.js";

const MESSAGES = numberOption("messages", 20_000);
const WAVE = numberOption("wave", 1_000);
const EARLY = Math.min(2_000, MESSAGES);
const OUT = resultOut("soak");
const APPENDERS = 4;

export interface SoakPoint {
  messages: number;
  rssKb: number;
  /** Seconds since the first append. */
  atS: number;
}

export interface SoakResult {
  messages: number;
  points: SoakPoint[];
  rssEarlyKb: number;
  rssLateKb: number;
  ratio: number;
  messagesPerSecond: number;
  target: { ratio: number; met: boolean };
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const machine = describeMachine();
const world = await startWorld();
try {
  const inst = await createInstallation(world);
  const [worker, watcher] = await Promise.all([
    spawnService("worker", { env: inst.env, gcOnSignal: true }),
    spawnService("watcher", { env: inst.env }),
  ]);
  try {
    const user = await world.dovecot.createUser("soak");
    await inst.store.putMailbox(benchMailbox(world, user, "soak", "new"));
    await inst.waitConnected(["soak"], 30_000);
    const corpus = corpusSources(Math.min(WAVE, 6_046));
    const points: SoakPoint[] = [];
    const t0 = performance.now();
    let sent = 0;
    await collectGarbage(worker.pid);
    points.push({ messages: 0, rssKb: worker.rssKb(), atS: 0 });
    while (sent < MESSAGES) {
      const wave = Array.from(
        { length: Math.min(WAVE, MESSAGES - sent) },
        (_, i) => corpus[(sent + i) % corpus.length]!,
      );
      await Promise.all(
        split(wave, APPENDERS).map((part) => world.dovecot.appendMany(user.user, "INBOX", part)),
      );
      sent += wave.length;
      await world.receiver.waitFor("/mailhook/archive", sent, 600_000);
      await collectGarbage(worker.pid);
      const point = { messages: sent, rssKb: worker.rssKb(), atS: round((performance.now() - t0) / 1000) };
      points.push(point);
      log(
        `soak: ${point.messages} messages, worker RSS ${Math.round(point.rssKb / 1024)} MB at ${point.atS} s`,
      );
    }
    const seconds = (performance.now() - t0) / 1000;
    const early = points.find((p) => p.messages >= EARLY)!;
    const late = points[points.length - 1]!;
    const ratio = round(late.rssKb / early.rssKb);
    const result: SoakResult = {
      messages: sent,
      points,
      rssEarlyKb: early.rssKb,
      rssLateKb: late.rssKb,
      ratio,
      messagesPerSecond: round(sent / seconds),
      target: { ratio: 1.3, met: ratio <= 1.3 },
    };
    log(
      `soak: RSS ${Math.round(early.rssKb / 1024)} MB after ${early.messages}, ${Math.round(late.rssKb / 1024)} MB after ${late.messages}: ratio ${ratio} (target ≤ 1.3)`,
    );
    writeResult(OUT, "soak", machine, result);
  } finally {
    await Promise.all([watcher.stop(), worker.stop()]);
    inst.close();
  }
} finally {
  await world.stop();
}
