/**
 * The path of one isolated message, hop by hop, from the wire: messages APPENDed 1 s apart to a
 * folder mailhook watches, while tcpdump captures loopback traffic to Dovecot, Redis and the
 * receiver. For each message, every request the watcher and the worker send from the watcher's
 * EXISTS until the first webhook POST, when it went out and how long its answer took. Nothing in
 * the services is instrumented (the capture does not slow them down, unlike strace); what it
 * cannot see is which code ran between two exchanges, only how long it took (`compute`).
 *
 * Run: npx tsx bench/path.ts [--messages 40] [--warmup 5] [--gap 1000] [--json path]
 * Needs tcpdump (root, or CAP_NET_RAW). Not part of `pnpm bench`: a tool for latency levers,
 * whose effect on the path (an exchange fewer, a hop shorter) is read here without the noise of
 * end-to-end percentiles.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { numberOption } from "./support/args.js";
import { corpusSources } from "./support/corpus.js";
import { describeMachine } from "./support/machine.js";
import { type MessagePath, messagePaths } from "./support/path-events.js";
import { hasTcpdump, localPorts, readPcap, startCapture } from "./support/pcap.js";
import { resultOut, writeResult } from "./support/results.js";
import { BENCH_TMP } from "./support/services.js";
import { median, round } from "./support/stats.js";
import { benchMailbox, startMailhook, startWorld } from "./support/world.js";

const MESSAGES = numberOption("messages", 40);
const WARMUP = numberOption("warmup", 5);
/** ms from one APPEND to the next (Dovecot pushes each change to IDLE about 0.5 s later: keep it above). */
const GAP = numberOption("gap", 1000);
const OUT = resultOut("path");

if (!hasTcpdump()) {
  process.stderr.write("bench/path.ts needs tcpdump (apt-get install tcpdump)\n");
  process.exit(2);
}

export interface HopSummary {
  label: string;
  /** Messages whose path had this exchange. */
  n: number;
  /** Median ms after the watcher's EXISTS. */
  atMs: number;
  /** Median ms until its answer. */
  rttMs: number | null;
}

export interface PathResult {
  messages: number;
  /** Medians over the measured messages (the warm-up ones left out). */
  totalMs: number;
  waitMs: number;
  computeMs: number;
  /** Requests on the path (median): each is one trip to a server and back. */
  exchanges: number;
  hops: HopSummary[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const machine = describeMachine();
const world = await startWorld();
const mailhook = await startMailhook(world);
const sources = corpusSources(MESSAGES + WARMUP);
mkdirSync(BENCH_TMP, { recursive: true });
const file = join(BENCH_TMP, `path-${Date.now()}.pcap`);
const httpPort = Number(new URL(world.receiver.url).port);
let paths: MessagePath[] = [];
try {
  const user = await world.dovecot.createUser("path");
  await mailhook.store.putMailbox(benchMailbox(world, user, "path", "new"));
  await mailhook.waitConnected(["path"], 15_000);
  const capture = await startCapture(file, [world.dovecot.port, world.redis.port, httpPort]);
  const appender = await world.dovecot.client(user, { imapflow: { disableAutoIdle: true } });
  try {
    for (let i = 0; i < MESSAGES + WARMUP; i++) {
      const started = performance.now();
      await appender.append("INBOX", sources[i]!);
      await world.receiver.waitFor("/mailhook/archive", i + 1, 30_000);
      await sleep(Math.max(0, GAP - (performance.now() - started)));
    }
  } finally {
    await appender.logout().catch(() => appender.close());
  }
  // Connections are read while they are open: each port is the watcher's or the worker's.
  const ports = {
    imap: world.dovecot.port,
    redis: world.redis.port,
    http: httpPort,
    watcher: localPorts(mailhook.watcher.pid),
    worker: localPorts(mailhook.worker.pid),
  };
  await sleep(200);
  await capture.stop();
  paths = messagePaths(readPcap(file), ports).filter((p) => p.uid > WARMUP);
} finally {
  await mailhook.stop();
  await world.stop();
}

const med = (xs: number[]) => round(median(xs));
const byLabel = new Map<string, { at: number[]; rtt: number[] }>();
for (const p of paths)
  for (const e of p.exchanges) {
    const h = byLabel.get(e.label) ?? { at: [], rtt: [] };
    h.at.push(e.at);
    if (e.rttMs !== null) h.rtt.push(e.rttMs);
    byLabel.set(e.label, h);
  }
const hops: HopSummary[] = [...byLabel]
  .filter(([, h]) => h.at.length >= paths.length / 2)
  .map(([label, h]) => ({ label, n: h.at.length, atMs: med(h.at), rttMs: h.rtt.length ? med(h.rtt) : null }))
  .sort((a, b) => a.atMs - b.atMs);
const result: PathResult = {
  messages: paths.length,
  totalMs: med(paths.map((p) => p.totalMs)),
  waitMs: med(paths.map((p) => p.waitMs)),
  computeMs: med(paths.map((p) => p.computeMs)),
  exchanges: med(paths.map((p) => p.exchanges.length)),
  hops,
};
writeResult(OUT, "path", machine, result);
process.stdout.write(
  `${result.messages} isolated messages, EXISTS at the watcher → first POST: median ${result.totalMs} ms (waiting on servers ${result.waitMs}, computing ${result.computeMs}); ${result.exchanges} exchanges\n`,
);
process.stdout.write("| ms after EXISTS | answer after (ms) | exchange | messages |\n|---|---|---|---|\n");
for (const h of hops) process.stdout.write(`| ${h.atMs} | ${h.rttMs ?? "–"} | ${h.label} | ${h.n} |\n`);
process.stdout.write(`→ ${OUT}\n`);
