import type { LatencyResult, LatencyRun } from "../latency.js";
import type { ThroughputResult } from "../throughput.js";
import { median, round } from "./stats.js";

/** One target of the throughput-and-latency issue, judged on the recorded results. */
export interface TargetRow {
  target: string;
  /** What was recorded (median over runs), with its unit; "–" when the scenario was not run. */
  value: string;
  met: boolean | null;
}

/**
 * Every number the issue sets, one row each: throughput per variant (≥ 1,000 msg/s, ≥ 3× the
 * naive baseline, ≥ 2× live), CPU per message of mailhook and Redis together (≤ 0.8 ms), Redis
 * commands per message (≤ 25), and latency (own share at 20/s p50 ≤ 10 / p99 ≤ 40 ms, isolated
 * p50 ≤ 5 ms, added over a bare IDLE client at 1–2 s gaps p50 ≤ 15 ms).
 */
export function issueTargets(
  throughput: ThroughputResult | null,
  latency: LatencyResult | null,
): TargetRow[] {
  const rows: TargetRow[] = [];
  const add = (target: string, value: number | null, unit: string, ok: (v: number) => boolean) =>
    rows.push(
      value === null || Number.isNaN(value)
        ? { target, value: "–", met: null }
        : { target, value: `${round(value)}${unit}`, met: ok(value) },
    );
  const variant = (name: string) => throughput?.variants[name];
  for (const [name, label] of [
    ["one", "one folder"],
    ["many", "50 mailboxes"],
    ["live", "live"],
  ] as const) {
    const v = variant(name);
    if (name !== "live")
      add(`${label}: ≥ 1,000 msg/s`, v?.mailhookPerSecond.median ?? null, " msg/s", (x) => x >= 1000);
    const want = name === "live" ? 2 : 3;
    add(`${label}: ≥ ${want}× the naive baseline`, v?.ratio.median ?? null, "×", (x) => x >= want);
    const cpu = v
      ? median(v.runs.map((r) => r.mailhook.cpuPerMessageMs.contender + r.mailhook.cpuPerMessageMs.redis))
      : null;
    add(`${label}: CPU per message, mailhook + Redis ≤ 0.8 ms`, cpu, " ms", (x) => x <= 0.8);
    if (name !== "live") {
      const cmds = v
        ? median(v.runs.map((r) => r.mailhook.redisCommandsPerMessage?.total ?? Number.NaN))
        : null;
      add(`${label}: Redis commands per message ≤ 25`, cmds, "", (x) => x <= 25);
    }
  }
  const iso = (pick: (r: LatencyRun) => number) =>
    latency?.isolated.length ? median(latency.isolated.map(pick)) : null;
  add(
    `own share at ${latency?.ratePerSecond ?? 20}/s: p50 ≤ 10 ms`,
    latency?.ownP50.median ?? null,
    " ms",
    (x) => x <= 10,
  );
  add(
    `own share at ${latency?.ratePerSecond ?? 20}/s: p99 ≤ 40 ms`,
    latency?.ownP99.median ?? null,
    " ms",
    (x) => x <= 40,
  );
  const pace = latency ? isolatedPace(latency) : "1–2 s gaps";
  add(
    `own share, isolated (${pace}): p50 ≤ 5 ms`,
    iso((r) => r.ownMs.p50),
    " ms",
    (x) => x <= 5,
  );
  add(
    `added over a bare IDLE client at ${pace}: p50 ≤ 15 ms`,
    iso((r) => r.addedMs.p50),
    " ms",
    (x) => x <= 15,
  );
  return rows;
}

/** How the isolated messages of a latency result were paced: "1–2 s gaps", or "1/s" before that. */
export function isolatedPace(latency: Pick<LatencyResult, "isolatedGapMs">): string {
  const g = latency.isolatedGapMs;
  return g ? `${g.min / 1000}–${g.max / 1000} s gaps` : "1/s";
}
