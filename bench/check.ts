/**
 * `pnpm bench:check`: a quick run of every scenario compared with the recorded results in
 * bench/results/*.json. Fails (exit 1) when a number is worse than recorded beyond the noise
 * margin. Too noisy for CI's test command; run it before merging work that touches a hot path.
 *
 * What is compared, and why it survives a smaller, noisier run:
 *  - latency: mailhook's added p50/p99 (already net of the server's push delay), with a relative
 *    margin plus a few milliseconds of absolute slack (sub-20 ms numbers jitter by whole ms);
 *  - throughput: the ratio to the naive baseline measured in the same run, not messages/s (which
 *    follows the machine's load);
 *  - bytes: bytes read as a share of the source (deterministic up to Dovecot's framing);
 *  - memory: KB per watched mailbox at the same mailbox count.
 *
 * Run: pnpm bench:check [--margin 0.3] [--only latency,throughput,bytes,memory] [--skip-run]
 */
import { existsSync, readFileSync } from "node:fs";
import type { LatencyResult } from "./latency.js";
import type { MemoryResult } from "./memory.js";
import { flag, option } from "./support/args.js";
import type { ResultFile } from "./support/results.js";
import { resultPath, runScenario, SCENARIO_NAMES, type ScenarioName } from "./support/scenarios.js";
import type { ThroughputResult } from "./throughput.js";

const MARGIN = Number(option("margin") ?? 0.3);
const only = (option("only")?.split(",") ?? [...SCENARIO_NAMES]) as ScenarioName[];

interface Comparison {
  metric: string;
  recorded: number;
  now: number;
  limit: number;
  better: "lower" | "higher";
}

const read = <T>(path: string): T => JSON.parse(readFileSync(path, "utf8")) as T;
const comparisons: Comparison[] = [];
const problems: string[] = [];

for (const name of only) {
  const recordedPath = resultPath(name, false);
  if (!existsSync(recordedPath)) {
    problems.push(`${name}: no recorded result at ${recordedPath} (run pnpm bench first)`);
    continue;
  }
  if (!flag("skip-run") && !runScenario(name, true)) {
    problems.push(`${name}: the quick run failed`);
    continue;
  }
  const quickPath = resultPath(name, true);
  if (!existsSync(quickPath)) {
    problems.push(`${name}: the quick run wrote no result`);
    continue;
  }
  comparisons.push(...compare(name, recordedPath, quickPath));
}

function lowerIsBetter(metric: string, recorded: number, now: number, slack = 0): Comparison {
  return { metric, recorded, now, limit: round(recorded * (1 + MARGIN) + slack), better: "lower" };
}

function higherIsBetter(metric: string, recorded: number, now: number): Comparison {
  return { metric, recorded, now, limit: round(recorded * (1 - MARGIN)), better: "higher" };
}

function compare(name: ScenarioName, recordedPath: string, quickPath: string): Comparison[] {
  switch (name) {
    case "latency": {
      const [r, q] = [
        read<ResultFile<LatencyResult>>(recordedPath),
        read<ResultFile<LatencyResult>>(quickPath),
      ];
      return [
        lowerIsBetter("latency: added p50 (ms)", r.result.addedP50.median, q.result.addedP50.median, 5),
        lowerIsBetter("latency: added p99 (ms)", r.result.addedP99.median, q.result.addedP99.median, 20),
        ...(r.result.ownP50 && q.result.ownP50
          ? [lowerIsBetter("latency: own p50 (ms)", r.result.ownP50.median, q.result.ownP50.median, 5)]
          : []),
      ];
    }
    case "throughput": {
      const [r, q] = [
        read<ResultFile<ThroughputResult>>(recordedPath),
        read<ResultFile<ThroughputResult>>(quickPath),
      ];
      return Object.entries(q.result.variants).flatMap(([variant, v]) => {
        const rec = r.result.variants[variant];
        if (!rec) return [];
        const out = [
          higherIsBetter(`throughput ${variant}: ratio to baseline`, rec.ratio.median, v.ratio.median),
        ];
        if (rec.cpuRatio && v.cpuRatio)
          out.push(
            higherIsBetter(`throughput ${variant}: CPU cost ratio`, rec.cpuRatio.median, v.cpuRatio.median),
          );
        return out;
      });
    }
    case "bytes": {
      type Bytes = Record<string, Record<string, { percentOfSource?: number }>>;
      const [r, q] = [read<Bytes>(recordedPath), read<Bytes>(quickPath)];
      const out: Comparison[] = [];
      for (const folder of Object.keys(q)) {
        for (const [label, v] of Object.entries(q[folder] ?? {})) {
          const rec = r[folder]?.[label]?.percentOfSource;
          if (typeof rec !== "number" || typeof v?.percentOfSource !== "number") continue;
          // The corpus subset differs from the full corpus the record used: a wider margin there.
          out.push(lowerIsBetter(`bytes ${folder} ${label}: % of source`, rec, v.percentOfSource, 0.5));
        }
      }
      return out;
    }
    case "memory": {
      const [r, q] = [
        read<ResultFile<MemoryResult>>(recordedPath),
        read<ResultFile<MemoryResult>>(quickPath),
      ];
      if (r.result.mailboxes !== q.result.mailboxes) {
        problems.push(
          `memory: recorded with ${r.result.mailboxes} mailboxes, quick run used ${q.result.mailboxes}`,
        );
        return [];
      }
      return [
        lowerIsBetter(
          "memory: KB per mailbox",
          r.result.perMailboxKb.median,
          q.result.perMailboxKb.median,
          10,
        ),
      ];
    }
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

const failedChecks = comparisons.filter((c) => (c.better === "lower" ? c.now > c.limit : c.now < c.limit));
const width = Math.max(...comparisons.map((c) => c.metric.length), 10);
process.stdout.write(`\nmargin ${Math.round(MARGIN * 100)} %\n`);
for (const c of comparisons) {
  const ok = !failedChecks.includes(c);
  process.stdout.write(
    `${ok ? "ok  " : "FAIL"} ${c.metric.padEnd(width)}  recorded ${String(c.recorded).padStart(9)}  now ${String(c.now).padStart(9)}  ${c.better === "lower" ? "≤" : "≥"} ${c.limit}\n`,
  );
}
for (const p of problems) process.stdout.write(`FAIL ${p}\n`);
if (failedChecks.length > 0 || problems.length > 0) {
  process.stdout.write(`\n${failedChecks.length + problems.length} regression(s) beyond the noise margin\n`);
  process.exit(1);
}
process.stdout.write("\nno regression beyond the noise margin\n");
