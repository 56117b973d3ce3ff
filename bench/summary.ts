/**
 * Renders bench/results/*.json as the Markdown tables of docs/benchmarks.md (between the
 * `<!-- results:start -->` and `<!-- results:end -->` markers), so the page always shows the
 * recorded numbers and nobody copies them by hand. `pnpm bench` runs it at the end.
 *
 * Run: npx tsx bench/summary.ts [--print]
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LatencyResult, LatencyRun } from "./latency.js";
import type { MemoryResult } from "./memory.js";
import { flag } from "./support/args.js";
import type { ProfileSummary } from "./support/profile.js";
import { RESULTS_DIR, type ResultFile } from "./support/results.js";
import { ROOT } from "./support/services.js";
import type { Spread } from "./support/stats.js";
import { isolatedPace, issueTargets } from "./support/targets.js";
import type { ContenderRun, ThroughputResult } from "./throughput.js";

const DOC = join(ROOT, "docs", "benchmarks.md");
const START = "<!-- results:start -->";
const END = "<!-- results:end -->";

const load = <T>(name: string): T | null => {
  const path = join(RESULTS_DIR, `${name}.json`);
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as T) : null;
};
const sp = (s: Spread, unit = "") => `${s.median}${unit} [${s.min}–${s.max}]`;
const yes = (met: boolean) => (met ? "met" : "**missed**");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? Number.NaN;
const out: string[] = [];
const line = (s = "") => out.push(s);

const latency = load<ResultFile<LatencyResult>>("latency");
const throughput = load<ResultFile<ThroughputResult>>("throughput");
const memory = load<ResultFile<MemoryResult>>("memory");
const bytes = load<Record<string, Record<string, unknown>>>("bytes");

const any = latency ?? throughput ?? memory;
if (any) {
  const m = any.machine;
  line(
    `Machine: ${m.cores} × ${m.cpu}, ${m.memoryGb} GB; Node ${m.node}; Dovecot ${m.dovecot}; Redis ${m.redis}.`,
  );
  line();
  line("| scenario | recorded at | commit | 1-min load at start | command |");
  line("|---|---|---|---|---|");
  for (const [name, f] of [
    ["latency", latency],
    ["throughput", throughput],
    ["memory", memory],
  ] as const) {
    if (f)
      line(
        `| ${name} | ${f.machine.at} | ${f.machine.commit} | ${f.machine.loadAtStart} | \`${f.command}\` |`,
      );
  }
  line();
  line("Medians over the runs, with the range [min–max] across runs.");
  line();
}

if (latency) {
  const r = latency.result;
  line(`### 1. Added latency (${r.messages} messages at ${r.ratePerSecond}/s, ${r.runs.length} runs)`);
  line();
  line("| ms | p50 | p95 | p99 |");
  line("|---|---|---|---|");
  line(
    `| **added** (webhook − bare client's EXISTS) | ${sp(r.addedP50)} | ${sp(r.addedP95)} | ${sp(r.addedP99)} |`,
  );
  const row = (
    label: string,
    runs: LatencyRun[],
    pick: (x: LatencyRun) => { p50: number; p95: number; p99: number },
  ) =>
    line(
      `| ${label} | ${median(runs.map((x) => pick(x).p50))} | ${median(runs.map((x) => pick(x).p95))} | ${median(runs.map((x) => pick(x).p99))} |`,
    );
  if (r.runs[0]?.ownMs) {
    row("mailhook's own (webhook − its watcher saw the UID)", r.runs, (x) => x.ownMs);
    row("EXISTS → delivery built (watcher, queue, fetch, rules)", r.runs, (x) => x.toDeliveryBuiltMs);
    row("delivery built → received (queue, sign, POST)", r.runs, (x) => x.deliveryToReceivedMs);
  }
  row("server push to the bare client (APPEND → EXISTS)", r.runs, (x) => x.pushDelayMs);
  if (r.runs[0]?.watcherPushMs) row("server push to mailhook's watcher", r.runs, (x) => x.watcherPushMs);
  row("end to end (APPEND → webhook)", r.runs, (x) => x.endToEndMs);
  if (r.isolated.length > 0) {
    const pace = isolatedPace(r);
    row(`isolated messages (${pace}): added`, r.isolated, (x) => x.addedMs);
    if (r.isolated[0]?.ownMs) row(`isolated messages (${pace}): mailhook's own`, r.isolated, (x) => x.ownMs);
  }
  line();
  line(
    `Target added p50 ≤ ${r.target.addedP50Ms} ms and p99 ≤ ${r.target.addedP99Ms} ms: ${yes(r.target.met)}.`,
  );
  line();
}

if (throughput) {
  const r = throughput.result;
  line("### 2. Throughput (messages until the last webhook; 20 rules)");
  line();
  line(
    "| variant | messages | mailboxes | mailhook msg/s | baseline msg/s | ratio | CPU per message, baseline ÷ mailhook | target (≥ 1,000/s and ≥ 3×) |",
  );
  line("|---|---|---|---|---|---|---|---|");
  for (const [name, v] of Object.entries(r.variants)) {
    const cpuRatio = v.cpuRatio ? sp(v.cpuRatio, "×") : "–";
    line(
      `| ${name} | ${v.messages} | ${v.mailboxes} | ${sp(v.mailhookPerSecond)} | ${sp(v.baselinePerSecond)} | ${sp(v.ratio, "×")} | ${cpuRatio} | ${yes(r.target.met[name] ?? false)} |`,
    );
  }
  line();
  line(
    "CPU per message (ms, median over runs) of each process group, and the machine's busy cores during the run:",
  );
  line();
  line(
    "| variant | contender | own processes | Redis | Dovecot | bench (receiver, APPENDs) | busy cores | Redis commands/msg | syscalls/msg (read, write) |",
  );
  line("|---|---|---|---|---|---|---|---|---|");
  for (const [name, v] of Object.entries(r.variants)) {
    for (const who of ["mailhook", "baseline"] as const) {
      const runs: ContenderRun[] = v.runs.map((x) => x[who]);
      const cpu = (k: keyof ContenderRun["cpuPerMessageMs"]) =>
        runs[0]?.cpuPerMessageMs ? median(runs.map((x) => x.cpuPerMessageMs[k])) : "–";
      const cmds = runs[0]?.redisCommandsPerMessage
        ? median(runs.map((x) => x.redisCommandsPerMessage?.total ?? 0))
        : "–";
      const sys = runs[0]?.syscallsPerMessage
        ? `${median(runs.map((x) => x.syscallsPerMessage?.reads ?? 0))}, ${median(runs.map((x) => x.syscallsPerMessage?.writes ?? 0))}`
        : "–";
      line(
        `| ${name} | ${who} | ${cpu("contender")} | ${cpu("redis")} | ${cpu("dovecot")} | ${cpu("bench")} | ${median(runs.map((x) => x.machineBusyCores))} | ${cmds} | ${sys} |`,
      );
    }
  }
  line();
  line(
    `Service start (spawn → both services logged "started"; not part of the timings): ${sp(r.bootMs, " ms")}.`,
  );
  line();
  if (r.profile) {
    line(
      "CPU profile of the first run (`--cpu-prof`), self time folded into the calling package, top entries:",
    );
    line();
    const show = (label: string, p: ProfileSummary | undefined) => {
      if (!p) return;
      const busy = (p.byCallingModule ?? p.byModule).filter((x) => x.name !== "(idle)");
      line(
        `- **${label}** (${p.totalMs} ms profiled): ${busy
          .slice(0, 10)
          .map((x) => `${x.name} ${x.percent} %`)
          .join(", ")}`,
      );
    };
    show("worker", r.profile.mailhook.worker?.[0]);
    show("watcher", r.profile.mailhook.watcher?.[0]);
    show("baseline", r.profile.baseline[0]);
    line();
  }
}

if (bytes) {
  line("### 3. Bytes read from IMAP per message");
  line();
  line(
    "| input | messages | source B/msg | (a) headers only | (b) headers + text | (c) attachment metadata | full source |",
  );
  line("|---|---|---|---|---|---|---|");
  for (const [folder, v] of Object.entries(bytes)) {
    const n = Number(v.messages);
    const cell = (k: string) => {
      const x = v[k] as { perMessage: number; percentOfSource?: number } | undefined;
      return x
        ? `${Math.round(x.perMessage)} B (${(x.percentOfSource ?? (100 * x.perMessage * n) / Number(v.sourceBytes)).toFixed(2)} %)`
        : "–";
    };
    line(
      `| ${folder === "Big" ? "generated, one 1–20 MB attachment each" : "SpamAssassin corpus"} | ${n} | ${Math.round(Number(v.sourceBytes) / n)} | ${cell("a headers only")} | ${cell("b headers+text")} | ${cell("c attachment metadata")} | ${cell("d full source (naive)")} |`,
    );
  }
  const big = bytes.Big as Record<string, { percentOfSource: number }> | undefined;
  if (big) {
    const met =
      (big["a headers only"]?.percentOfSource ?? 100) <= 2 &&
      (big["b headers+text"]?.percentOfSource ?? 100) <= 2;
    line();
    line(`Target for attachment-heavy mail with (a)/(b) ≤ 2 % of the source: ${yes(met)}.`);
  }
  line();
}

if (memory) {
  const r = memory.result;
  line(`### 4. Memory per watched mailbox (${r.mailboxes} IDLE connections, ${r.runs.length} runs)`);
  line();
  line("| | per mailbox (KB RSS) | time until all are IDLE (ms) |");
  line("|---|---|---|");
  line(`| mailhook watcher (child process) | ${sp(r.perMailboxKb)} | ${sp(r.allIdleMs)} |`);
  line(
    `| bare imapflow clients (same run) | ${sp(r.baselinePerConnectionKb)} | ${median(r.runs.map((x) => x.baselineAllIdleMs))} |`,
  );
  line();
  line(
    `Watcher RSS with none: ${median(r.runs.map((x) => x.rssEmptyKb))} KB; with ${r.mailboxes}: ${median(r.runs.map((x) => x.rssFullKb))} KB; connections held: ${r.runs.map((x) => x.connections).join(", ")}; fs.inotify.max_user_instances = ${r.inotifyMaxUserInstances}. Target ≤ ${r.target.perMailboxKb} KB: ${yes(r.target.met)}.`,
  );
  line();
}

if (throughput || latency) {
  line("### Targets of the throughput-and-latency issue (from the results above)");
  line();
  line("| target | recorded (median over runs) | |");
  line("|---|---|---|");
  for (const t of issueTargets(throughput?.result ?? null, latency?.result ?? null))
    line(`| ${t.target} | ${t.value} | ${t.met === null ? "not run" : yes(t.met)} |`);
  line();
}

const block = `${START}\n${out.join("\n")}\n${END}`;
if (flag("print") || !existsSync(DOC)) {
  process.stdout.write(`${block}\n`);
} else {
  const doc = readFileSync(DOC, "utf8");
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) {
    process.stderr.write(`${DOC} has no ${START} … ${END} block; printing instead\n`);
    process.stdout.write(`${block}\n`);
  } else {
    writeFileSync(DOC, `${doc.slice(0, a)}${block}${doc.slice(b + END.length)}`);
    process.stdout.write(`updated the results in ${DOC}\n`);
  }
}
