/**
 * Scenario 5, scale-out: N mailboxes (one Dovecot user each) on 3 watcher replicas and 2 workers,
 * against a single-replica run in the same session. Sampled every 250 ms from Redis (leases,
 * statuses) and Dovecot (`doveadm who`): ownership spread max/min, mailboxes without an owner,
 * mailboxes with two IMAP sessions, and per mailbox how long it was not IDLE.
 *
 * Phases: single replica (start, SIGKILL → restart, SIGTERM → restart); 3 replicas started
 * together; SIGKILL of one (every mailbox IDLE again: p50/max); a replacement joins (fair share);
 * rolling SIGTERM restart of all three, three ways (stop then start a new id; surge: start the new
 * one, then stop the old; the same id back with WATCHER_RESTART_GRACE_MS), counting moves per
 * mailbox; 3 replicas started 3 s apart; then mail to every mailbox while a replica is SIGKILLed
 * mid-way, counted by webhook-id (0 lost, 0 under two ids).
 * Workers start only for the last phase, so every IMAP session before it is a watcher's.
 *
 * Run: npx tsx bench/scale.ts [--mailboxes 3000] [--ttl 10000] [--json path]
 *        [--connect-concurrency 32] [--skip single-restarts,rolling,surge,staggered,sticky,delivery]
 *        [--stop-after-single [--cpu-prof]]
 */
import { join } from "node:path";
import type { ImapUser } from "@mailhook/testing";
import { flag, numberOption, option } from "./support/args.js";
import { raiseInotify } from "./support/inotify.js";
import { describeMachine } from "./support/machine.js";
import { createSampler } from "./support/ownership-sampler.js";
import { summarizeProfiles } from "./support/profile.js";
import { resultOut, writeResult } from "./support/results.js";
import {
  BENCH_TMP,
  groupCpuMs,
  machineCpuMs,
  type ServiceProcess,
  spawnService,
} from "./support/services.js";
import { distribution, round } from "./support/stats.js";
import { benchMailbox, createInstallation, startWorld, TENANT } from "./support/world.js";

const N = numberOption("mailboxes", 3000);
const TTL = numberOption("ttl", 10_000);
const OUT = resultOut("scale");
const SKIP = new Set(option("skip")?.split(",") ?? []);
const GRACE_MS = 30_000;
const PHASE_TIMEOUT_MS = Math.max(120_000, N * 120);
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
  ...(option("connect-concurrency") ? { WATCHER_CONNECT_CONCURRENCY: option("connect-concurrency")! } : {}),
});
for (const [i, u] of users.entries()) await inst.store.putMailbox(benchMailbox(world, u, ids[i]!, "new"));

const sampler = createSampler({
  ids,
  users,
  store: inst.store,
  tenant: TENANT,
  dovecot: world.dovecot,
  timeoutMs: PHASE_TIMEOUT_MS,
  log,
});
const { watch, settled, report, summary } = sampler;
const PROF_DIR = flag("cpu-prof") ? join(BENCH_TMP, `scale-prof-${process.pid}`) : undefined;
const watcher = (id: string, env: Record<string, string> = {}, cpuProfDir?: string) =>
  spawnService("watcher", {
    env: { ...inst.env, ...env, WATCHER_ID: id },
    readyTimeoutMs: 120_000,
    ...(cpuProfDir ? { cpuProfDir } : {}),
  });
const sticky = { WATCHER_RESTART_GRACE_MS: String(GRACE_MS) };
const result: Record<string, unknown> = { mailboxes: N, leaseTtlMs: TTL, inotifyMaxUserInstances: inotify };
const live: ServiceProcess[] = [];
try {
  // 1. One replica: the baseline.
  let t = performance.now();
  const cpu0 = { dovecot: groupCpuMs(world.dovecot.configPath), machine: machineCpuMs() };
  let solo = await watcher("solo-1", {}, PROF_DIR);
  live.push(solo);
  const single = await watch(() => ["solo-1"], settled(["solo-1"]), t);
  report("single: start → all IDLE", single);
  // Where connecting N mailboxes spends CPU: the watcher, Dovecot (login + imap processes), the rest.
  const m1 = machineCpuMs();
  const connectCpu = {
    watcherMsPerMailbox: round(solo.cpuMs() / N),
    dovecotMsPerMailbox: round((groupCpuMs(world.dovecot.configPath) - cpu0.dovecot) / N),
    machineBusyMsPerMailbox: round((m1.busy - cpu0.machine.busy) / N),
    machineBusyShare: round((m1.busy - cpu0.machine.busy) / (m1.total - cpu0.machine.total)),
    watcherRssMb: round(solo.rssKb() / 1024),
  };
  log(`  connect CPU: ${JSON.stringify(connectCpu)}`);
  if (flag("stop-after-single")) {
    if (PROF_DIR) {
      await solo.stop();
      const [p] = summarizeProfiles(PROF_DIR, 20);
      log(
        `  profile: ${JSON.stringify({ totalMs: p?.totalMs, byCallingModule: p?.byCallingModule, byFunction: p?.byFunction, ownInclusive: p?.ownInclusive })}`,
      );
    }
    writeResult(OUT, "scale", machine, { ...result, single: { start: { ...summary(single), connectCpu } } });
    process.exit(0);
  }
  const singleResult: Record<string, unknown> = { start: { ...summary(single), connectCpu } };
  result.single = singleResult;
  if (!SKIP.has("single-restarts")) {
    await solo.kill();
    t = performance.now();
    solo = await watcher("solo-2");
    live.splice(0, live.length, solo);
    const singleKill = await watch(() => ["solo-2"], settled(["solo-2"]), t);
    report("single: SIGKILL + restart → all IDLE", singleKill);
    await solo.stop();
    t = performance.now();
    solo = await watcher("solo-3");
    live.splice(0, live.length, solo);
    const singleTerm = await watch(() => ["solo-3"], settled(["solo-3"]), t);
    report("single: SIGTERM + restart → all IDLE", singleTerm);
    Object.assign(singleResult, {
      sigkillRestart: summary(singleKill),
      sigtermRestart: summary(singleTerm),
    });
  }
  await solo.stop();
  live.length = 0;

  // 2. Three started together.
  t = performance.now();
  live.push(...(await Promise.all(["a-1", "b-1", "c-1"].map((id) => watcher(id)))));
  let members = ["a-1", "b-1", "c-1"];
  const together = await watch(() => members, settled(members), t);
  report("3 replicas started together → fair and all IDLE", together);
  result.together = summary(together);
  writeResult(OUT, "scale", machine, result);

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
  result.sigkillOneOfThree = { ...summary(killed), victimMailboxes: victim.length, idleAgainMs: takeover };
  writeResult(OUT, "scale", machine, result);

  // 4. A replacement joins.
  t = performance.now();
  live.push(await watcher("d-1"));
  members = ["b-1", "c-1", "d-1"];
  const joined = await watch(() => members, settled(members), t);
  report("join → fair share, all IDLE", joined);
  Object.assign(result, {
    together: summary(together),
    sigkillOneOfThree: { ...summary(killed), victimMailboxes: victim.length, idleAgainMs: takeover },
    join: summary(joined),
  });
  const targets: Record<string, boolean> = {
    spreadWithin15sTogether: together.fairMs !== null && together.fairMs <= 15_000,
    sigkillAllIdleWithinTtlPlus2s: takeover.max <= TTL + 2_000,
    joinFairWithin15s: joined.ms <= 15_000,
    noDoubleIdleBeyondTtl: [together, killed, joined].every((p) => p.longestDoubledMs <= TTL),
  };
  result.targets = targets;
  writeResult(OUT, "scale", machine, result);

  /**
   * Restarts each live replica in turn and waits for a fair, all-IDLE state after each step.
   * `stop-start`: SIGTERM, then a new id. `surge`: a new id first, SIGTERM of the old one once the
   * four are settled. `same-id`: SIGTERM, then the same id again (its replicas run with the grace).
   */
  async function rolling(name: string, mode: "stop-start" | "surge" | "same-id", next: string[]) {
    const gaps: number[] = [];
    const steps: Record<string, number>[] = [];
    let longestDoubledMs = 0;
    const t0 = performance.now();
    for (const [i, id] of next.entries()) {
      const old = live.shift()!;
      const oldId = members[0]!;
      let stage: "moving" | "stopping" | "done" = "moving";
      const env = mode === "same-id" ? sticky : {};
      // Sampling runs from before the first change, so a gap spans stop → IDLE under the new owner.
      const stepDone = watch(
        () => members,
        (s) => {
          if (mode === "surge" && stage === "moving" && members.includes(id) && settled(members)(s)) {
            stage = "stopping";
            void old.stop().then(() => {
              members = members.filter((m) => m !== oldId);
              stage = "done";
            });
          }
          return stage === "done" && settled(members)(s);
        },
      );
      if (mode === "surge") {
        live.push(await watcher(id, env));
        members = [...members, id];
      } else {
        await old.stop();
        live.push(await watcher(id, env));
        members = [...members.slice(1), id];
        stage = "done";
      }
      const step = await stepDone;
      gaps.push(...step.gaps);
      longestDoubledMs = Math.max(longestDoubledMs, step.longestDoubledMs);
      const moves = {
        seconds: round(step.ms / 1000),
        reconnected: step.gaps.length,
        moves: step.moves.reduce((a, b) => a + b, 0),
        movedOnce: step.moves.filter((m) => m === 1).length,
        movedTwiceOrMore: step.moves.filter((m) => m >= 2).length,
      };
      steps.push(moves);
      report(`${name} ${i + 1}/${next.length}`, step);
      log(`  ${JSON.stringify(moves)}`);
    }
    return {
      seconds: round((performance.now() - t0) / 1000),
      gaps: gaps.length ? distribution(gaps) : null,
      longestDoubledMs,
      steps,
    };
  }

  // 5. Rolling SIGTERM restarts: new ids, then surge-style.
  if (!SKIP.has("rolling"))
    result.rollingSigterm = await rolling("rolling restart", "stop-start", ["b-2", "c-2", "d-2"]);
  if (!SKIP.has("surge"))
    result.rollingSurge = await rolling(
      "surge restart",
      "surge",
      members.map((m) => `${m}s`),
    );
  writeResult(OUT, "scale", machine, result);

  // 6. Staggered start: 3 replicas 3 s apart (with the restart grace, for the same-id restart after).
  await Promise.all(live.splice(0).map((p) => p.stop()));
  await watch(
    () => [],
    (s) => s.unowned === N,
  );
  members = ["e-1", "f-1", "g-1"];
  if (!SKIP.has("staggered")) {
    t = performance.now();
    for (const id of members) {
      live.push(await watcher(id, sticky));
      if (id !== "g-1") await sleep(3_000);
    }
    const lastStart = performance.now();
    const staggered = await watch(() => members, settled(members), lastStart);
    report("staggered start (3 s apart) → fair, all IDLE (from the last start)", staggered);
    result.staggered = summary(staggered);
    targets.spreadWithin15sStaggered = staggered.fairMs !== null && staggered.fairMs <= 15_000;
    targets.noDoubleIdleBeyondTtl &&= staggered.longestDoubledMs <= TTL;
  } else {
    live.push(...(await Promise.all(members.map((id) => watcher(id, sticky)))));
    await watch(() => members, settled(members));
  }
  if (!SKIP.has("sticky")) result.rollingSameId = await rolling("same-id restart", "same-id", [...members]);
  for (const r of ["rollingSigterm", "rollingSurge", "rollingSameId"] as const) {
    const v = result[r] as { longestDoubledMs: number } | undefined;
    if (v) targets.noDoubleIdleBeyondTtl &&= v.longestDoubledMs <= TTL;
  }
  writeResult(OUT, "scale", machine, result);

  // 7. Mail to every mailbox with a replica SIGKILLed in the middle: counted by webhook-id.
  if (!SKIP.has("delivery")) {
    const workers = await Promise.all(
      [0, 1].map(() => spawnService("worker", { env: inst.env, readyTimeoutMs: 120_000 })),
    );
    const sent = Math.min(N, 300);
    const mail = (i: number, which: string) =>
      world.dovecot.append(
        users[i]!.user,
        "INBOX",
        `From: a@sender.test\r\nTo: x@bench.test\r\nSubject: ${which} ${i}\r\n\r\nbody\r\n`,
      );
    for (let i = 0; i < sent; i++) await mail(i, "first");
    await live.shift()?.kill();
    for (let i = 0; i < sent; i++) await mail(i, "second");
    const path = "/mailhook/archive";
    await world.receiver.waitFor(path, sent * 2, 180_000).catch(() => 0);
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
    result.delivery = delivery;
    targets.zeroLostZeroDuplicated = delivery.lost === 0 && delivery.underTwoIds === 0;
  }
  writeResult(OUT, "scale", machine, result);
  log(`targets: ${JSON.stringify(targets)} → ${OUT}`);
} finally {
  await Promise.all(live.map((p) => p.kill()));
  inst.close();
  await world.stop();
}
