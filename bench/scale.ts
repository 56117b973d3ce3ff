/**
 * Scenario 5, scale-out: N mailboxes (one Dovecot user each) on 3 watcher replicas and 2 workers,
 * against a single-replica run in the same session. Sampled every 250 ms from Redis (leases,
 * statuses) and Dovecot (`doveadm who`): ownership spread max/min, mailboxes without an owner,
 * mailboxes with two IMAP sessions, and per mailbox how long it was not IDLE.
 *
 * Phases: single replica (start, SIGKILL → restart, SIGTERM → restart); 3 replicas started
 * together; SIGKILL of one (every mailbox IDLE again: p50/max); a replacement joins (fair share);
 * rolling SIGTERM restart of all three; 3 replicas started 3 s apart; then mail to every mailbox
 * while a replica is SIGKILLed mid-way, counted by webhook-id (0 lost, 0 under two ids).
 * Workers start only for the last phase, so every IMAP session before it is a watcher's.
 *
 * Run: npx tsx bench/scale.ts [--mailboxes 3000] [--ttl 10000] [--json path]
 */
import { join } from "node:path";
import type { ImapUser } from "@mailhook/testing";
import { numberOption, option } from "./support/args.js";
import { raiseInotify } from "./support/inotify.js";
import { describeMachine } from "./support/machine.js";
import { RESULTS_DIR, writeResult } from "./support/results.js";
import { type ServiceProcess, spawnService } from "./support/services.js";
import { distribution, round } from "./support/stats.js";
import { benchMailbox, createInstallation, startWorld, TENANT } from "./support/world.js";

const N = numberOption("mailboxes", 3000);
const TTL = numberOption("ttl", 10_000);
const OUT = option("json") ?? join(RESULTS_DIR, "scale.json");
const SAMPLE_MS = 250;
const PHASE_TIMEOUT_MS = Math.max(120_000, N * 60);
const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const inotify = raiseInotify(N * 3 + 256);
const machine = describeMachine();
const world = await startWorld();
const users: ImapUser[] = [];
for (let i = 0; i < N; i++) users.push(await world.dovecot.createUser("sc"));
const ids = users.map((_, i) => `sc${i}`);
const inst = await createInstallation(world, {
  WATCHER_LEASE_TTL_MS: String(TTL),
  // "watcher started" (info) is what the bench waits for.
  LOG_LEVEL: "info",
  IMAP_POOL_SIZE: "1",
});
for (const [i, u] of users.entries()) await inst.store.putMailbox(benchMailbox(world, u, ids[i]!, "new"));
const redis = inst.store.redis;
const k = inst.store.keys;

interface Sample {
  t: number;
  owners: Map<string, number>;
  unowned: number;
  notIdle: number;
  doubled: number;
  /** Per mailbox: IDLE (connected) under the lease holder. */
  idle: boolean[];
  holder: (string | null)[];
}

async function sample(): Promise<Sample> {
  const t = performance.now();
  const [leases, statuses, sessions] = await Promise.all([
    Promise.all(ids.map((id) => redis.get(k.lease(TENANT, id)))),
    Promise.all(ids.map((id) => redis.hget(k.status(TENANT, id), "INBOX"))),
    world.dovecot.sessions(),
  ]);
  const owners = new Map<string, number>();
  const holder = leases.map((l) => (l ? l.slice(0, l.lastIndexOf(".")) : null));
  for (const h of holder) if (h) owners.set(h, (owners.get(h) ?? 0) + 1);
  const idle = statuses.map((raw, i) => {
    const st = raw ? (JSON.parse(raw) as { state: string; owner: string | null }) : null;
    return st?.state === "connected" && st.owner === holder[i];
  });
  return {
    t,
    owners,
    unowned: holder.filter((h) => h === null).length,
    notIdle: idle.filter((x) => !x).length,
    doubled: users.filter((u) => (sessions.get(u.user) ?? 0) > 1).length,
    idle,
    holder,
  };
}

const spreadOf = (s: Sample, members: string[]) => {
  const c = members.map((m) => s.owners.get(m) ?? 0);
  return Math.min(...c) === 0 ? Number.POSITIVE_INFINITY : round(Math.max(...c) / Math.min(...c));
};

interface Phase {
  ms: number;
  worstSpread: number;
  maxUnowned: number;
  maxDoubled: number;
  /** Longest run of samples with any mailbox on two sessions (ms). */
  longestDoubledMs: number;
  /** Per mailbox that stopped being IDLE in the phase: how long until it was IDLE again (ms). */
  gaps: number[];
  last: Sample;
}

/** Samples until `done` holds for the sample (or the timeout); records what happened meanwhile. */
async function watch(
  members: () => string[],
  done: (s: Sample) => boolean,
  since = performance.now(),
): Promise<Phase> {
  const downSince = new Map<number, number>();
  const gaps: number[] = [];
  let worstSpread = 0;
  let maxUnowned = 0;
  let maxDoubled = 0;
  let doubledFrom: number | null = null;
  let longestDoubledMs = 0;
  for (;;) {
    const s = await sample();
    s.idle.forEach((ok, i) => {
      if (!ok && !downSince.has(i)) downSince.set(i, s.t);
      if (ok && downSince.has(i)) {
        gaps.push(round(s.t - (downSince.get(i) as number)));
        downSince.delete(i);
      }
    });
    const sp = spreadOf(s, members());
    if (Number.isFinite(sp)) worstSpread = Math.max(worstSpread, sp);
    maxUnowned = Math.max(maxUnowned, s.unowned);
    maxDoubled = Math.max(maxDoubled, s.doubled);
    if (s.doubled > 0) doubledFrom ??= s.t;
    else doubledFrom = null;
    if (doubledFrom !== null) longestDoubledMs = Math.max(longestDoubledMs, round(s.t - doubledFrom));
    if (done(s))
      return { ms: round(s.t - since), worstSpread, maxUnowned, maxDoubled, longestDoubledMs, gaps, last: s };
    if (performance.now() - since > PHASE_TIMEOUT_MS)
      throw new Error(`phase timed out: ${s.notIdle} not IDLE, ${s.unowned} unowned`);
    await sleep(SAMPLE_MS);
  }
}

const settled = (members: string[]) => (s: Sample) =>
  s.notIdle === 0 &&
  s.unowned === 0 &&
  s.doubled === 0 &&
  spreadOf(s, members) <= 1.2 &&
  members.every((m) => (s.owners.get(m) ?? 0) > 0);
const watcher = (id: string) =>
  spawnService("watcher", { env: { ...inst.env, WATCHER_ID: id }, readyTimeoutMs: 120_000 });
const report = (name: string, p: Phase) =>
  log(
    `${name}: ${round(p.ms / 1000)} s; spread ${spreadOf(p.last, [...p.last.owners.keys()])} (${[...p.last.owners.values()].join("/")}), worst ${p.worstSpread}; unowned max ${p.maxUnowned}; two sessions max ${p.maxDoubled} for ${p.longestDoubledMs} ms; not-IDLE gaps ${p.gaps.length ? JSON.stringify(distribution(p.gaps)) : "none"}`,
  );
const summary = (p: Phase) => ({
  seconds: round(p.ms / 1000),
  spread: spreadOf(p.last, [...p.last.owners.keys()]),
  counts: [...p.last.owners.values()],
  worstSpread: p.worstSpread,
  maxUnowned: p.maxUnowned,
  maxDoubled: p.maxDoubled,
  longestDoubledMs: p.longestDoubledMs,
  gaps: p.gaps.length ? distribution(p.gaps) : null,
});

const result: Record<string, unknown> = { mailboxes: N, leaseTtlMs: TTL, inotifyMaxUserInstances: inotify };
const live: ServiceProcess[] = [];
try {
  // 1. One replica: the baseline.
  let t = performance.now();
  let solo = await watcher("solo-1");
  const single = await watch(() => ["solo-1"], settled(["solo-1"]), t);
  report("single: start → all IDLE", single);
  await solo.kill();
  t = performance.now();
  solo = await watcher("solo-2");
  const singleKill = await watch(() => ["solo-2"], settled(["solo-2"]), t);
  report("single: SIGKILL + restart → all IDLE", singleKill);
  await solo.stop();
  t = performance.now();
  solo = await watcher("solo-3");
  const singleTerm = await watch(() => ["solo-3"], settled(["solo-3"]), t);
  report("single: SIGTERM + restart → all IDLE", singleTerm);
  await solo.stop();
  result.single = {
    start: summary(single),
    sigkillRestart: summary(singleKill),
    sigtermRestart: summary(singleTerm),
  };

  // 2. Three started together.
  t = performance.now();
  live.push(...(await Promise.all(["a-1", "b-1", "c-1"].map(watcher))));
  let members = ["a-1", "b-1", "c-1"];
  const together = await watch(() => members, settled(members), t);
  report("3 replicas started together → fair and all IDLE", together);

  // 3. SIGKILL one: its mailboxes IDLE again under the others.
  const victim = together.last.holder.map((h, i) => (h === "a-1" ? i : -1)).filter((i) => i >= 0);
  t = performance.now();
  await live.shift()?.kill();
  members = ["b-1", "c-1"];
  const back = new Map<number, number>();
  const killed = await watch(
    () => members,
    (s) => {
      for (const i of victim)
        if (!back.has(i) && s.idle[i] && s.holder[i] !== "a-1") back.set(i, round(s.t - t));
      return back.size === victim.length && settled(members)(s);
    },
    t,
  );
  report("SIGKILL of 1 of 3 → all IDLE", killed);
  const takeover = distribution([...back.values()]);
  log(
    `  victim's ${victim.length} mailboxes IDLE again after p50 ${takeover.p50} ms, max ${takeover.max} ms (TTL ${TTL} ms)`,
  );

  // 4. A replacement joins.
  t = performance.now();
  live.push(await watcher("d-1"));
  members = ["b-1", "c-1", "d-1"];
  const joined = await watch(() => members, settled(members), t);
  report("join → fair share, all IDLE", joined);

  // 5. Rolling SIGTERM restart.
  const rollingGaps: number[] = [];
  let rollingDoubled = 0;
  t = performance.now();
  for (const [i, next] of ["b-2", "c-2", "d-2"].entries()) {
    // Sampling runs from before the SIGTERM, so a mailbox's gap spans stop → IDLE under the new owner.
    let replaced = false;
    const stepDone = watch(
      () => members,
      (s) => replaced && settled(members)(s),
    );
    await live.shift()?.stop();
    live.push(await watcher(next));
    members = [...members.slice(1), next];
    replaced = true;
    const step = await stepDone;
    rollingGaps.push(...step.gaps);
    rollingDoubled = Math.max(rollingDoubled, step.longestDoubledMs);
    report(`rolling restart ${i + 1}/3`, step);
  }
  const rollingMs = round(performance.now() - t);

  // 6. Staggered start: 3 replicas 3 s apart.
  await Promise.all(live.splice(0).map((p) => p.stop()));
  await watch(
    () => [],
    (s) => s.unowned === N,
  );
  t = performance.now();
  for (const id of ["e-1", "f-1", "g-1"]) {
    live.push(await watcher(id));
    if (id !== "g-1") await sleep(3_000);
  }
  const lastStart = performance.now();
  members = ["e-1", "f-1", "g-1"];
  const staggered = await watch(() => members, settled(members), lastStart);
  report("staggered start (3 s apart) → fair, all IDLE (from the last start)", staggered);

  // 7. Mail to every mailbox with a replica SIGKILLed in the middle: counted by webhook-id.
  const workers = await Promise.all(
    [0, 1].map(() => spawnService("worker", { env: inst.env, readyTimeoutMs: 120_000 })),
  );
  const sent = Math.min(N, 300);
  for (let i = 0; i < sent; i++)
    await world.dovecot.append(
      users[i]!.user,
      "INBOX",
      `From: a@sender.test\r\nTo: x@bench.test\r\nSubject: first ${i}\r\n\r\nbody\r\n`,
    );
  await live.shift()?.kill();
  for (let i = 0; i < sent; i++)
    await world.dovecot.append(
      users[i]!.user,
      "INBOX",
      `From: a@sender.test\r\nTo: x@bench.test\r\nSubject: second ${i}\r\n\r\nbody\r\n`,
    );
  const path = "/mailhook/archive";
  await world.receiver.waitFor(path, sent * 2, 120_000).catch(() => 0);
  await sleep(5_000);
  const distinct = world.receiver.distinct(path);
  const delivery = {
    messages: sent * 2,
    distinctWebhookIds: distinct,
    lost: Math.max(0, sent * 2 - distinct),
    underTwoIds: Math.max(0, distinct - sent * 2),
  };
  log(`delivery: ${JSON.stringify(delivery)}`);
  await Promise.all(workers.map((w) => w.stop()));

  Object.assign(result, {
    together: summary(together),
    sigkillOneOfThree: { ...summary(killed), victimMailboxes: victim.length, idleAgainMs: takeover },
    join: summary(joined),
    rollingSigterm: {
      seconds: round(rollingMs / 1000),
      gaps: rollingGaps.length ? distribution(rollingGaps) : null,
      longestDoubledMs: rollingDoubled,
    },
    staggered: summary(staggered),
    delivery,
    targets: {
      spreadWithin15s: together.ms <= 15_000 && staggered.ms <= 15_000,
      sigkillAllIdleWithinTtlPlus2s: takeover.max <= TTL + 2_000,
      joinFairWithin15s: joined.ms <= 15_000,
      noDoubleIdleBeyondTtl:
        [together, killed, joined, staggered].every((p) => p.longestDoubledMs <= TTL) &&
        rollingDoubled <= TTL,
      zeroLostZeroDuplicated: delivery.lost === 0 && delivery.underTwoIds === 0,
    },
  });
  writeResult(OUT, "scale", machine, result);
  log(`targets: ${JSON.stringify(result.targets)} → ${OUT}`);
} finally {
  await Promise.all(live.map((p) => p.kill()));
  inst.close();
  await world.stop();
}
