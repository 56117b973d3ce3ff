/**
 * Scenario 1, added latency: messages APPENDed at a steady rate to a folder mailhook watches. In
 * the same run a bare imapflow client IDLEs on the same folder and records when the server pushes
 * EXISTS (Dovecot's own delay, about 500 ms). mailhook's added latency per message is
 * webhook received − EXISTS seen by the bare client: what mailhook costs on top of the server.
 * Target (issue 6): added p50 ≤ 20 ms, p99 ≤ 100 ms.
 *
 * Watcher and worker run as child processes from services/*\/src/main.ts, configured by env.
 * Run: npx tsx bench/latency.ts [--messages 500] [--rate 20] [--runs 3] [--json path] [--cpu-prof]
 */
import { join } from "node:path";
import type { ImapFlow } from "imapflow";
import { flag, numberOption } from "./support/args.js";
import { corpusSources } from "./support/corpus.js";
import { describeMachine } from "./support/machine.js";
import { summarizeServiceProfiles } from "./support/profile.js";
import { resultOut, writeResult } from "./support/results.js";
import { BENCH_TMP } from "./support/services.js";
import { type Distribution, distribution, type Spread, seededRandom, spread } from "./support/stats.js";
import { isolatedPace } from "./support/targets.js";
import { benchMailbox, startMailhook, startWorld } from "./support/world.js";

const MESSAGES = numberOption("messages", 500);
const RATE = numberOption("rate", 20);
const RUNS = numberOption("runs", 3);
/** Messages sent one at a time (1–2 s apart, so each gets its own EXISTS): the floor under a steady stream. */
const ISOLATED = numberOption("isolated", 20);
/**
 * Gaps between isolated messages, drawn uniformly from [min, max] by a seeded generator (the same
 * schedule every run of the same number). Not a fixed 1 s: Dovecot pushes EXISTS to an idling
 * session 500 ms after the first change it notices in the folder, and mailhook's FETCH of message
 * n (~515 ms after its APPEND) is likely such a change; with exactly 1 s gaps it armed the bare
 * client's timer to fire just after APPEND n+1, so every other message reached the bare client in
 * ~2 ms instead of ~500 (see docs/benchmarks.md, "Isolated messages at exactly 1 s gaps").
 */
const ISOLATED_GAP_MS = { min: 1000, max: 2000 } as const;
const OUT = resultOut("latency");
const PROF_DIR = flag("cpu-prof") ? join(BENCH_TMP, `prof-latency-${Date.now()}`) : undefined;

export interface LatencyRun {
  messages: number;
  /** APPEND completed → EXISTS pushed to the bare IDLE client (the server's share). */
  pushDelayMs: Distribution;
  /** APPEND completed → webhook received. */
  endToEndMs: Distribution;
  /** Webhook received − EXISTS at the bare client: mailhook's own share. */
  addedMs: Distribution;
  /**
   * Where mailhook's share goes, from the payload's `timestamp` (taken when the worker builds the
   * delivery): EXISTS → delivery built (watcher, queue, fetch, rules), then delivery built → webhook
   * received (delivery queue, signing, POST). Millisecond wall-clock resolution.
   */
  toDeliveryBuiltMs: Distribution;
  deliveryToReceivedMs: Distribution;
  /**
   * The same split seen from mailhook's own IMAP session, using the delivery record's `seenAt` (when
   * the watcher heard of the UID): APPEND → watcher heard (Dovecot's push to *that* session), and
   * watcher heard → webhook received (everything mailhook does). Dovecot times each session's push
   * on its own, so `addedMs` also carries the difference between the two sessions' push delays.
   */
  watcherPushMs: Distribution;
  ownMs: Distribution;
}

export interface LatencyResult {
  messages: number;
  ratePerSecond: number;
  runs: LatencyRun[];
  /** One message at a time (gaps in `isolatedGapMs`): no batching by the server's push, no queueing. */
  isolated: LatencyRun[];
  /** Gaps between isolated messages (absent in results recorded with a fixed 1 s). */
  isolatedGapMs?: { min: number; max: number };
  addedP50: Spread;
  addedP95: Spread;
  addedP99: Spread;
  pushP50: Spread;
  /** mailhook's own share from its session's view (see LatencyRun.ownMs). */
  ownP50: Spread;
  ownP99: Spread;
  target: { addedP50Ms: number; addedP99Ms: number; met: boolean };
  profile?: unknown;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const machine = describeMachine();
const world = await startWorld({ keepBodies: true });
const mailhook = await startMailhook(world, PROF_DIR ? { cpuProfDir: PROF_DIR } : {});
const sources = corpusSources(Math.max(MESSAGES, ISOLATED));
const runs: LatencyRun[] = [];
const isolated: LatencyRun[] = [];
try {
  for (let run = 1; run <= RUNS; run++) {
    const random = seededRandom(run);
    const isolatedGap = () => ISOLATED_GAP_MS.min + random() * (ISOLATED_GAP_MS.max - ISOLATED_GAP_MS.min);
    for (const [label, list, count, gap, pace] of [
      ["steady", runs, MESSAGES, () => 1000 / RATE, `at ${RATE}/s`],
      ["isolated", isolated, ISOLATED, isolatedGap, isolatedPace({ isolatedGapMs: ISOLATED_GAP_MS })],
    ] as const) {
      const r = await measureRun(`${label}${run}`, count, gap);
      list.push(r);
      process.stdout.write(
        `${label} run ${run}: ${count} ${pace}: added p50 ${r.addedMs.p50} ms, p95 ${r.addedMs.p95}, p99 ${r.addedMs.p99}; push p50 ${r.pushDelayMs.p50} ms; mailhook's own (heard→received) p50 ${r.ownMs.p50}, p99 ${r.ownMs.p99}\n`,
      );
    }
  }
} finally {
  await mailhook.stop();
  await world.stop();
}

const addedP50 = spread(runs.map((r) => r.addedMs.p50));
const addedP99 = spread(runs.map((r) => r.addedMs.p99));
const result: LatencyResult = {
  messages: MESSAGES,
  ratePerSecond: RATE,
  runs,
  isolated,
  isolatedGapMs: { ...ISOLATED_GAP_MS },
  addedP50,
  addedP95: spread(runs.map((r) => r.addedMs.p95)),
  addedP99,
  pushP50: spread(runs.map((r) => r.pushDelayMs.p50)),
  ownP50: spread(runs.map((r) => r.ownMs.p50)),
  ownP99: spread(runs.map((r) => r.ownMs.p99)),
  target: { addedP50Ms: 20, addedP99Ms: 100, met: addedP50.median <= 20 && addedP99.median <= 100 },
};
if (PROF_DIR) result.profile = summarizeServiceProfiles(PROF_DIR);
writeResult(OUT, "latency", machine, result);
process.stdout.write(
  `added latency over ${RUNS} runs of ${MESSAGES} at ${RATE}/s: p50 ${addedP50.median} ms [${addedP50.min}–${addedP50.max}], p99 ${addedP99.median} ms [${addedP99.min}–${addedP99.max}] → ${OUT}\n`,
);

async function measureRun(mailboxId: string, messages: number, gapMs: () => number): Promise<LatencyRun> {
  const user = await world.dovecot.createUser("lat");
  world.receiver.clear();
  await mailhook.store.putMailbox(benchMailbox(world, user, mailboxId, "new"));
  await mailhook.waitConnected([mailboxId], 15_000);

  const exists: { count: number; at: number }[] = [];
  const listener = await world.dovecot.client(user, { imapflow: { disableAutoIdle: true } });
  const appender = await world.dovecot.client(user, { imapflow: { disableAutoIdle: true } });
  const appendedAt = new Map<number, number>();
  try {
    await listener.mailboxOpen("INBOX");
    listener.on("exists", (e: { count: number }) => exists.push({ count: e.count, at: performance.now() }));
    void listener.idle();
    await sleep(200); // IDLE is on the wire; mailhook's watcher has been idling since it connected.

    let due = performance.now();
    for (let i = 0; i < messages; i++) {
      if (i > 0) due += gapMs();
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const r = await appendOne(appender, sources[i]!);
      appendedAt.set(r, performance.now());
    }
    await world.receiver.waitFor("/mailhook/archive", messages, 30_000);
    // The bare client may hear of the last messages after mailhook delivered them: wait for it too.
    const deadline = Date.now() + 10_000;
    while ((exists.at(-1)?.count ?? 0) < messages && Date.now() < deadline) await sleep(20);
  } finally {
    await listener.logout().catch(() => listener.close());
    await appender.logout().catch(() => appender.close());
    await mailhook.store.deleteMailbox("default", mailboxId);
  }

  // A fresh folder: sequence number n is UID n, and EXISTS counts only grow.
  const webhookAt = new Map<number, number>();
  const builtAt = new Map<number, number>();
  const seenAt = new Map<number, number>();
  for (const hit of world.receiver.hits) {
    if (hit.path !== "/mailhook/archive" || !hit.body) continue;
    const payload = JSON.parse(hit.body) as { timestamp: string; message: { uid: number } };
    const uid = payload.message.uid;
    if (webhookAt.has(uid)) continue;
    webhookAt.set(uid, hit.at);
    // Times written by the services are wall-clock: carry them onto this process's monotonic
    // timeline through the wall-clock reading taken with the hit (the two clocks drift apart).
    const toMonotonic = (wall: number) => hit.at - (hit.atWall - wall);
    builtAt.set(uid, toMonotonic(Date.parse(payload.timestamp)));
    const rec = await mailhook.store.getDelivery(hit.webhookId);
    if (rec) seenAt.set(uid, toMonotonic(rec.seenAt));
  }
  const push: number[] = [];
  const e2e: number[] = [];
  const added: number[] = [];
  const toBuilt: number[] = [];
  const toReceived: number[] = [];
  const watcherPush: number[] = [];
  const own: number[] = [];
  for (const [uid, appended] of appendedAt) {
    const seen = exists.find((e) => e.count >= uid)?.at;
    const hooked = webhookAt.get(uid);
    const built = builtAt.get(uid);
    const heard = seenAt.get(uid);
    if (seen === undefined || hooked === undefined || built === undefined || heard === undefined)
      throw new Error(`uid ${uid}: no EXISTS, webhook or delivery record`);
    push.push(seen - appended);
    e2e.push(hooked - appended);
    added.push(hooked - seen);
    toBuilt.push(built - seen);
    toReceived.push(hooked - built);
    watcherPush.push(heard - appended);
    own.push(hooked - heard);
  }
  return {
    messages: appendedAt.size,
    pushDelayMs: distribution(push),
    endToEndMs: distribution(e2e),
    addedMs: distribution(added),
    toDeliveryBuiltMs: distribution(toBuilt),
    deliveryToReceivedMs: distribution(toReceived),
    watcherPushMs: distribution(watcherPush),
    ownMs: distribution(own),
  };
}

async function appendOne(client: ImapFlow, raw: Buffer): Promise<number> {
  const r = await client.append("INBOX", raw);
  if (!r || typeof r.uid !== "number")
    throw new Error("APPEND returned no UID (UIDPLUS is on in the bench Dovecot)");
  return r.uid;
}
