/**
 * Scenario 2, throughput. The SpamAssassin corpus is loaded (IMAP APPEND, before anything watches,
 * so loading is not what is measured) into (a) one folder and (b) 50 mailboxes. Then each contender
 * is handed the mailboxes and timed until the last message's webhook arrives: mailhook (watcher and
 * worker as child processes, 20 rules) and, in the same run, the naive baseline (bench/naive: per
 * UID full source + simpleParser + the same rules + POST). A live variant appends while they watch,
 * over several parallel connections.
 * Target (issue 6): ≥ 1,000 messages/s end to end on a 2-core machine and ≥ 3× the baseline.
 *
 * Run: npx tsx bench/throughput.ts [--messages full|N] [--mailboxes 50] [--live 2000] [--appenders 4]
 *        [--runs 3] [--variants one,many,live] [--json path] [--cpu-prof]
 *        [--env KEY=value,…] (service settings to try) [--contenders mailhook] (skip the baseline)
 *        [--workers N] (worker processes, default 1)
 */
import { join } from "node:path";
import type { Mailbox } from "@mailhook/store";
import type { ImapUser } from "@mailhook/testing";
import type { NaiveMailbox } from "./naive/pipeline.js";
import { flag, numberOption, option } from "./support/args.js";
import { corpusSources, split } from "./support/corpus.js";
import { describeMachine } from "./support/machine.js";
import { forkNaive } from "./support/naive-process.js";
import { summarizeProfiles, summarizeServiceProfiles } from "./support/profile.js";
import { commandsPerMessage, redisCommandCalls } from "./support/redis-stats.js";
import { resultOut, writeResult } from "./support/results.js";
import { BENCH_TMP, groupCpuMs, machineCpuMs, type Syscalls, sumSyscalls } from "./support/services.js";
import { round, spread } from "./support/stats.js";
import type { ContenderRun, ThroughputResult, VariantResult } from "./support/throughput-result.js";
import { benchMailbox, type Mailhook, startMailhook, startWorld, type World } from "./support/world.js";

const COUNT = option("messages") === "full" || !option("messages") ? "full" : numberOption("messages", 6046);
const MAILBOXES = numberOption("mailboxes", 50);
const LIVE = numberOption("live", 2000);
const APPENDERS = numberOption("appenders", 4);
const RUNS = numberOption("runs", 3);
/** Worker processes of mailhook (default 1): scale-out on one machine. */
const WORKERS = numberOption("workers", 1);
const VARIANTS = (option("variants") ?? "one,many,live").split(",");
const OUT = resultOut("throughput");
/** Extra service environment, `KEY=value,KEY=value`: to try a setting against the defaults. */
const SERVICE_ENV = Object.fromEntries(
  (option("env") ?? "")
    .split(",")
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
);
/** `--contenders mailhook` skips the baseline (for exploring settings; ratios need both). */
const CONTENDERS = (option("contenders") ?? "baseline,mailhook").split(",") as Contender[];
const PROF_DIR = flag("cpu-prof") ? join(BENCH_TMP, `prof-throughput-${Date.now()}`) : undefined;

type Contender = "mailhook" | "baseline";

export type { ContenderRun, ThroughputResult, VariantResult } from "./support/throughput-result.js";

const machine = describeMachine();
const world = await startWorld();
const sources = corpusSources(COUNT);
const N = sources.length;
const bootMs: number[] = [];
const variants: Record<string, VariantResult> = {};
const log = (line: string) => process.stdout.write(`${line}\n`);

try {
  const one = await world.dovecot.createUser("tp-one");
  const many = await Promise.all(
    Array.from({ length: MAILBOXES }, () => world.dovecot.createUser("tp-many")),
  );
  const seedStart = performance.now();
  if (VARIANTS.includes("one")) await appendParallel(world, one, sources, APPENDERS);
  if (VARIANTS.includes("many")) {
    const slices = split(sources, MAILBOXES);
    await inBatches(
      many.map((u, i) => () => world.dovecot.appendMany(u.user, "INBOX", slices[i]!)),
      5,
    );
  }
  log(`loaded ${N} messages per variant in ${Math.round(performance.now() - seedStart)} ms`);
  await warmUp(world, VARIANTS.includes("many") ? [one, ...many] : [one]);

  for (const variant of VARIANTS) {
    const runs: VariantResult["runs"] = [];
    const users = variant === "many" ? many : [one];
    for (let run = 1; run <= RUNS; run++) {
      // Alternate who goes first: Dovecot's caches and the machine's load drift during a run.
      const order = (run % 2 === 1 ? ["baseline", "mailhook"] : ["mailhook", "baseline"]).filter((c) =>
        CONTENDERS.includes(c as Contender),
      ) as Contender[];
      const got: Partial<Record<Contender, ContenderRun>> = {};
      for (const who of order) {
        const profile = PROF_DIR && run === 1 && variant === VARIANTS[0] ? join(PROF_DIR, who) : undefined;
        got[who] =
          variant === "live"
            ? await liveRun(who, profile)
            : await backlogRun(who, users, `${variant}${run}`, profile);
      }
      const none: ContenderRun = {
        seconds: 0,
        messagesPerSecond: 0,
        webhooks: 0,
        cpuMs: 0,
        machineBusyCores: 0,
        cpuPerMessageMs: { contender: 0, redis: 0, dovecot: 0, bench: 0 },
      };
      const mailhook = got.mailhook ?? none;
      const baseline = got.baseline ?? none;
      const ratio =
        baseline.messagesPerSecond > 0 ? round(mailhook.messagesPerSecond / baseline.messagesPerSecond) : 0;
      const total = (c: ContenderRun) => Object.values(c.cpuPerMessageMs).reduce((a, b) => a + b, 0);
      const cpuRatio =
        total(mailhook) > 0 && total(baseline) > 0 ? round(total(baseline) / total(mailhook)) : 0;
      runs.push({ mailhook, baseline, ratio, cpuRatio });
      log(
        `${variant} run ${run}: mailhook ${mailhook.messagesPerSecond}/s (${mailhook.seconds} s, ${mailhook.webhooks} webhooks, ${mailhook.repeatedWebhooks ?? 0} repeated), baseline ${baseline.messagesPerSecond}/s (${baseline.seconds} s, ${baseline.webhooks} webhooks), ×${ratio}; CPU ms/msg mailhook ${JSON.stringify(mailhook.cpuPerMessageMs)}, baseline ${JSON.stringify(baseline.cpuPerMessageMs)}`,
      );
    }
    // Every run of a variant delivers the same webhooks exactly once; anything else is a fault.
    const counts = new Set(runs.map((r) => r.mailhook.webhooks));
    if (counts.size > 1 || runs.some((r) => (r.mailhook.repeatedWebhooks ?? 0) > 0)) {
      log(`${variant}: mailhook's deliveries differ between runs or repeat: ${[...counts].join(", ")}`);
      process.exitCode = 1;
    }
    variants[variant] = {
      messages: variant === "live" ? LIVE : N,
      mailboxes: users.length,
      runs,
      mailhookPerSecond: spread(runs.map((r) => r.mailhook.messagesPerSecond)),
      baselinePerSecond: spread(runs.map((r) => r.baseline.messagesPerSecond)),
      ratio: spread(runs.map((r) => r.ratio)),
      cpuRatio: spread(runs.map((r) => r.cpuRatio ?? 0)),
    };
  }
} finally {
  await world.stop();
}

const result: ThroughputResult = {
  variants,
  bootMs: spread(bootMs),
  target: {
    perSecond: 1000,
    ratio: 3,
    met: Object.fromEntries(
      Object.entries(variants).map(([k, v]) => [
        k,
        v.mailhookPerSecond.median >= 1000 && v.ratio.median >= 3,
      ]),
    ),
  },
};
if (PROF_DIR) {
  result.profile = {
    // A contender skipped with --contenders has no profile folder.
    mailhook: CONTENDERS.includes("mailhook") ? summarizeServiceProfiles(join(PROF_DIR, "mailhook")) : {},
    baseline: CONTENDERS.includes("baseline") ? summarizeProfiles(join(PROF_DIR, "baseline")) : [],
  };
}
writeResult(OUT, "throughput", machine, result);
for (const [k, v] of Object.entries(variants)) {
  log(
    `${k}: mailhook ${v.mailhookPerSecond.median}/s [${v.mailhookPerSecond.min}–${v.mailhookPerSecond.max}], baseline ${v.baselinePerSecond.median}/s, ratio ×${v.ratio.median} [${v.ratio.min}–${v.ratio.max}], CPU per message ×${v.cpuRatio?.median} cheaper`,
  );
}
log(`→ ${OUT}`);

/** Catch-up: everything is in the folders before the contender is given them. */
async function backlogRun(
  who: Contender,
  users: ImapUser[],
  tag: string,
  profile?: string,
): Promise<ContenderRun> {
  world.receiver.clear();
  const path = `/${who === "mailhook" ? "mailhook" : "naive"}/archive`;
  const timeoutMs = Math.max(120_000, N * 20);
  if (who === "baseline") {
    const naive = await forkNaive(profile ? { cpuProfDir: profile } : {});
    const cpu0 = naive.cpuMs();
    const machine0 = cpuNow();
    const t0 = performance.now();
    await naive.start(
      users.map((u, i) => naiveMailbox(u, `${tag}-${i}`)),
      {
        url: world.receiver.url,
        secret: world.secret,
        mode: "backlog",
      },
    );
    const end = await world.receiver.waitFor(path, N, timeoutMs);
    const measured = await settled(contenderRun(N, end - t0, naive.cpuMs() - cpu0, machine0));
    await naive.stop();
    return measured;
  }
  const mh = await startMailhook(world, {
    env: SERVICE_ENV,
    workers: WORKERS,
    ...(profile ? { cpuProfDir: profile } : {}),
  });
  bootMs.push(Math.max(mh.watcher.bootMs, mh.worker.bootMs));
  try {
    const cpu0 = mh.watcher.cpuMs() + mh.worker.cpuMs();
    const sys0 = mailhookSyscalls(mh);
    const boxes: Mailbox[] = users.map((u, i) => benchMailbox(world, u, `${tag}-${i}`, "all"));
    const commands0 = await redisCommandCalls(world.redis.url);
    const machine0 = cpuNow();
    const t0 = performance.now();
    for (const box of boxes) await mh.store.putMailbox(box);
    const end = await world.receiver.waitFor(path, N, timeoutMs);
    const cpu = mh.watcher.cpuMs() + mh.worker.cpuMs() - cpu0;
    const measured = contenderRun(N, end - t0, cpu, machine0);
    const syscalls = syscallsPer(sys0, mailhookSyscalls(mh), N);
    const commands = commandsPerMessage(commands0, await redisCommandCalls(world.redis.url), N);
    return { ...(await settled(measured)), redisCommandsPerMessage: commands, syscallsPerMessage: syscalls };
  } finally {
    await mh.stop();
  }
}

/** Live: the contender watches an empty folder while several connections APPEND into it. */
async function liveRun(who: Contender, profile?: string): Promise<ContenderRun> {
  world.receiver.clear();
  const user = await world.dovecot.createUser("tp-live");
  await world.dovecot.createFolder(user.user, "INBOX");
  const live = sources.slice(0, LIVE);
  const path = `/${who === "mailhook" ? "mailhook" : "naive"}/archive`;
  const timeoutMs = Math.max(120_000, LIVE * 20);
  if (who === "baseline") {
    const naive = await forkNaive(profile ? { cpuProfDir: profile } : {});
    await naive.start([naiveMailbox(user, "live")], {
      url: world.receiver.url,
      secret: world.secret,
      mode: "live",
    });
    const cpu0 = naive.cpuMs();
    const machine0 = cpuNow();
    const t0 = performance.now();
    await appendParallel(world, user, live, APPENDERS);
    const appended = performance.now();
    const end = await world.receiver.waitFor(path, live.length, timeoutMs);
    const measured = await settled(contenderRun(live.length, end - t0, naive.cpuMs() - cpu0, machine0));
    await naive.stop();
    return {
      ...measured,
      appendSeconds: round((appended - t0) / 1000),
    };
  }
  const mh = await startMailhook(world, {
    env: SERVICE_ENV,
    workers: WORKERS,
    ...(profile ? { cpuProfDir: profile } : {}),
  });
  bootMs.push(Math.max(mh.watcher.bootMs, mh.worker.bootMs));
  try {
    await mh.store.putMailbox(benchMailbox(world, user, "live", "new"));
    await mh.waitConnected(["live"], 15_000);
    const cpu0 = mh.watcher.cpuMs() + mh.worker.cpuMs();
    const sys0 = mailhookSyscalls(mh);
    const machine0 = cpuNow();
    const t0 = performance.now();
    await appendParallel(world, user, live, APPENDERS);
    const appended = performance.now();
    const end = await world.receiver.waitFor(path, live.length, timeoutMs);
    const cpu = mh.watcher.cpuMs() + mh.worker.cpuMs() - cpu0;
    const measured = contenderRun(live.length, end - t0, cpu, machine0);
    const syscalls = syscallsPer(sys0, mailhookSyscalls(mh), live.length);
    return {
      ...(await settled(measured)),
      syscallsPerMessage: syscalls,
      appendSeconds: round((appended - t0) / 1000),
    };
  } finally {
    await mh.stop();
  }
}

interface MachineCpu {
  machine: ReturnType<typeof machineCpuMs>;
  redis: number;
  dovecot: number;
  bench: number;
}

/** CPU time so far of the machine, Redis, Dovecot and this process, to split a run's cost. */
function cpuNow(): MachineCpu {
  const own = process.cpuUsage();
  return {
    machine: machineCpuMs(),
    redis: groupCpuMs(`127.0.0.1:${world.redis.port}`),
    dovecot: groupCpuMs(world.dovecot.configPath),
    bench: (own.user + own.system) / 1000,
  };
}

function mailhookSyscalls(mh: Mailhook): Syscalls {
  return sumSyscalls([mh.watcher.syscalls(), mh.worker.syscalls()]);
}

function syscallsPer(before: Syscalls, after: Syscalls, messages: number): Syscalls {
  return {
    reads: round((after.reads - before.reads) / messages),
    writes: round((after.writes - before.writes) / messages),
  };
}

/** The run's deliveries counted once the last of them (other rules' too) has arrived. */
async function settled(run: ContenderRun): Promise<ContenderRun> {
  const { distinct, repeated } = await world.receiver.settle();
  return { ...run, webhooks: distinct, repeatedWebhooks: repeated };
}

function contenderRun(messages: number, ms: number, cpuMs: number, before: MachineCpu): ContenderRun {
  const after = cpuNow();
  const per = (x: number) => round(x / messages);
  return {
    seconds: round(ms / 1000),
    messagesPerSecond: round((messages * 1000) / ms),
    webhooks: world.receiver.hits.length,
    cpuMs: round(cpuMs),
    machineBusyCores: round((after.machine.busy - before.machine.busy) / ms),
    cpuPerMessageMs: {
      contender: per(cpuMs),
      redis: per(after.redis - before.redis),
      dovecot: per(after.dovecot - before.dovecot),
      bench: per(after.bench - before.bench),
    },
  };
}

function naiveMailbox(user: ImapUser, id: string): NaiveMailbox {
  return {
    id,
    host: "127.0.0.1",
    port: world.dovecot.port,
    user: user.user,
    pass: user.pass,
    folder: "INBOX",
  };
}

async function appendParallel(w: World, user: ImapUser, raws: Buffer[], connections: number): Promise<void> {
  await Promise.all(split(raws, connections).map((slice) => w.dovecot.appendMany(user.user, "INBOX", slice)));
}

async function inBatches(tasks: (() => Promise<void>)[], width: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < tasks.length) await tasks[next++]!();
    }),
  );
}

/**
 * Reads every loaded message once (structure and full source), so Dovecot's index and cache files
 * and the page cache are equally warm for whoever runs first.
 */
async function warmUp(w: World, users: ImapUser[]): Promise<void> {
  await inBatches(
    users.map((u) => async () => {
      const client = await w.dovecot.client(u, { imapflow: { disableAutoIdle: true } });
      try {
        const box = await client.mailboxOpen("INBOX");
        if (box.exists === 0) return;
        for await (const _ of client.fetch("1:*", {
          uid: true,
          envelope: true,
          bodyStructure: true,
          source: true,
        })) {
          // drained
        }
      } finally {
        await client.logout().catch(() => client.close());
      }
    }),
    5,
  );
}
