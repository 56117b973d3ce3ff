/**
 * Scenario 4, memory per watched mailbox: RSS of the watcher process holding N IDLE connections
 * (one mailbox per Dovecot user) minus its RSS with none, divided by N; and the time from handing it
 * the N mailboxes until all are connected and idling. Baseline in the same run: a process of bare
 * imapflow clients holding the same N IDLE connections (bench/naive/idle-holder.ts).
 * Target (issue 6): ≤ 150 KB per mailbox.
 *
 * Dovecot needs one inotify instance per IDLE session; all virtual users share one uid, so the
 * default fs.inotify.max_user_instances (128) is raised (as root) or Dovecot falls back to polling.
 *
 * Run: npx tsx bench/memory.ts [--mailboxes 1000] [--runs 3] [--json path]
 */
import { execFileSync, fork } from "node:child_process";
import { join } from "node:path";
import type { ImapUser } from "@mailhook/testing";
import type { HeldMailbox, HolderCommand, HolderReport } from "./naive/idle-holder.js";
import { numberOption } from "./support/args.js";
import { raiseInotify } from "./support/inotify.js";
import { describeMachine } from "./support/machine.js";
import { resultOut, writeResult } from "./support/results.js";
import { collectGarbage, GC_ARGS, ROOT, rssKb, spawnService } from "./support/services.js";
import { median, round, type Spread, spread } from "./support/stats.js";
import { benchMailbox, createInstallation, startWorld, type World } from "./support/world.js";

const MAILBOXES = numberOption("mailboxes", 1000);
const RUNS = numberOption("runs", 3);
const OUT = resultOut("memory");
const SETTLE_MS = 3_000;

export interface MemoryRun {
  /** Established connections from the watcher to Dovecot while measured (proves they are held). */
  connections: number;
  rssEmptyKb: number;
  rssFullKb: number;
  perMailboxKb: number;
  /** Mailboxes put into the store → every folder reported connected (IDLE). */
  allIdleMs: number;
  baselinePerConnectionKb: number;
  baselineAllIdleMs: number;
}

export interface MemoryResult {
  mailboxes: number;
  inotifyMaxUserInstances: number;
  runs: MemoryRun[];
  perMailboxKb: Spread;
  allIdleMs: Spread;
  baselinePerConnectionKb: Spread;
  /** mailhook's per-mailbox RSS over a bare imapflow connection's. */
  ratio: Spread;
  target: { perMailboxKb: number; met: boolean };
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const inotify = raiseInotify(MAILBOXES * 2 + 256);
const machine = describeMachine();
const world = await startWorld();
const runs: MemoryRun[] = [];
try {
  const users: ImapUser[] = [];
  for (let i = 0; i < MAILBOXES; i++) users.push(await world.dovecot.createUser("mem"));
  for (let run = 1; run <= RUNS; run++) {
    const r = await measureRun(world, users, run);
    runs.push(r);
    log(
      `run ${run}: watcher holds ${r.connections} connections, ${r.perMailboxKb} KB/mailbox (${r.rssEmptyKb} → ${r.rssFullKb} KB), all ${MAILBOXES} idle in ${r.allIdleMs} ms; bare imapflow ${r.baselinePerConnectionKb} KB/connection, idle in ${r.baselineAllIdleMs} ms`,
    );
  }
} finally {
  await world.stop();
}

const perMailboxKb = spread(runs.map((r) => r.perMailboxKb));
const result: MemoryResult = {
  mailboxes: MAILBOXES,
  inotifyMaxUserInstances: inotify,
  runs,
  perMailboxKb,
  allIdleMs: spread(runs.map((r) => r.allIdleMs)),
  baselinePerConnectionKb: spread(runs.map((r) => r.baselinePerConnectionKb)),
  ratio: spread(runs.map((r) => r.perMailboxKb / r.baselinePerConnectionKb)),
  target: { perMailboxKb: 150, met: perMailboxKb.median <= 150 },
};
writeResult(OUT, "memory", machine, result);
log(
  `per mailbox: ${perMailboxKb.median} KB [${perMailboxKb.min}–${perMailboxKb.max}] (bare imapflow ${result.baselinePerConnectionKb.median} KB); all idle in ${result.allIdleMs.median} ms → ${OUT}`,
);

async function measureRun(w: World, users: ImapUser[], run: number): Promise<MemoryRun> {
  // Only the watcher: the worker is another process and does not hold IDLE connections.
  const inst = await createInstallation(w);
  const watcher = await spawnService("watcher", { env: inst.env, gcOnSignal: true });
  let rssEmptyKb: number;
  let rssFullKb: number;
  let allIdleMs: number;
  let connections: number;
  try {
    await sleep(SETTLE_MS);
    rssEmptyKb = await steadyRss(watcher.pid);
    const ids = users.map((_, i) => `mem${run}-${i}`);
    const t0 = performance.now();
    for (const [i, u] of users.entries()) await inst.store.putMailbox(benchMailbox(w, u, ids[i]!, "new"));
    await inst.waitConnected(ids, 120_000);
    allIdleMs = Math.round(performance.now() - t0);
    await sleep(SETTLE_MS);
    rssFullKb = await steadyRss(watcher.pid);
    connections = connectionsOf(watcher.pid, w.dovecot.port);
  } finally {
    await watcher.stop();
    inst.close();
  }
  const bare = await bareImapflow(w, users);
  return {
    connections,
    rssEmptyKb,
    rssFullKb,
    perMailboxKb: round((rssFullKb - rssEmptyKb) / users.length),
    allIdleMs,
    baselinePerConnectionKb: bare.perConnectionKb,
    baselineAllIdleMs: bare.allIdleMs,
  };
}

/** A full GC, then the median of RSS samples over two seconds. */
async function steadyRss(pid: number): Promise<number> {
  await collectGarbage(pid);
  const samples: number[] = [];
  for (let i = 0; i < 10; i++) {
    samples.push(rssKb(pid));
    await sleep(200);
  }
  return median(samples);
}

async function bareImapflow(
  w: World,
  users: ImapUser[],
): Promise<{ perConnectionKb: number; allIdleMs: number }> {
  const child = fork(join(ROOT, "bench", "naive", "idle-holder.ts"), [], {
    cwd: ROOT,
    execArgv: ["--import", "tsx", ...GC_ARGS],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const next = (type: HolderReport["type"]) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`idle-holder: no ${type}`)), 120_000);
      child.on("message", (r: HolderReport) => {
        if (r.type === "failed") reject(new Error(r.error));
        if (r.type !== type) return;
        clearTimeout(timer);
        resolve();
      });
    });
  try {
    await next("booted");
    await sleep(SETTLE_MS);
    const pid = child.pid!;
    const empty = await steadyRss(pid);
    const mailboxes: HeldMailbox[] = users.map((u) => ({
      host: "127.0.0.1",
      port: w.dovecot.port,
      user: u.user,
      pass: u.pass,
    }));
    const t0 = performance.now();
    const holding = next("holding");
    child.send({ type: "hold", mailboxes } satisfies HolderCommand);
    await holding;
    const allIdleMs = Math.round(performance.now() - t0);
    await sleep(SETTLE_MS);
    const full = await steadyRss(pid);
    return { perConnectionKb: round((full - empty) / users.length), allIdleMs };
  } finally {
    child.kill("SIGKILL");
  }
}

/** Established TCP connections of `pid` to the local `port`, as `ss` lists them. */
function connectionsOf(pid: number, port: number): number {
  const out = execFileSync("ss", ["-tnpH", "state", "established", `( dport = :${port} )`], {
    encoding: "utf8",
  });
  return out.split("\n").filter((l) => l.includes(`pid=${pid},`)).length;
}

/** Raises fs.inotify.max_user_instances when below `wanted` (needs root); returns the value in force. */
