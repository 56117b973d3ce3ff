import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { RESULTS_DIR } from "./results.js";
import { ROOT } from "./services.js";

export const SCENARIO_NAMES = [
  "latency",
  "throughput",
  "bytes",
  "memory",
  "scale",
  "hostile",
  "console",
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** The recorded run (`pnpm bench`): full sizes, several runs, a CPU profile of the throughput run. */
export const FULL_ARGS: Record<ScenarioName, string[]> = {
  latency: ["bench/latency.ts"],
  throughput: ["bench/throughput.ts", "--cpu-prof"],
  bytes: ["bench/bytes.ts", "--corpus", "full"],
  memory: ["bench/memory.ts"],
  scale: ["bench/scale.ts"],
  hostile: ["bench/hostile-tenant.ts", "--messages", "500"],
  console: ["bench/console.ts"],
};

/**
 * The quick run of `pnpm bench:check` (a few minutes): smaller inputs, mostly one run each. Its numbers
 * are compared with the recorded ones through what survives a smaller input: ratios against the
 * in-run baseline, latencies, bytes per message, memory per mailbox at the same mailbox count.
 */
export const QUICK_ARGS: Record<ScenarioName, string[]> = {
  // Three runs, as recorded: the first run of fresh services carries their JIT warm-up (its own p99
  // was 308-378 ms against 81-97 ms for the next two), so one run against a median of three failed
  // on every machine.
  latency: ["bench/latency.ts", "--messages", "200", "--isolated", "10", "--runs", "3"],
  throughput: [
    "bench/throughput.ts",
    "--messages",
    "2000",
    "--variants",
    "one,live",
    "--live",
    "1000",
    // Three runs, compared by their median: single live runs of 1,000 messages on one unchanged
    // tree gave x1.01, x1.69 and x1.40 in a row (Dovecot's CPU per message swinging 0.85-2.5 ms).
    "--runs",
    "3",
  ],
  bytes: ["bench/bytes.ts", "--corpus", "300"],
  memory: ["bench/memory.ts", "--runs", "1"],
  scale: ["bench/scale.ts", "--mailboxes", "90"],
  hostile: ["bench/hostile-tenant.ts", "--messages", "150"],
  // The target is about 100,000 records: the quick run keeps them, with fewer runs.
  console: ["bench/console.ts", "--runs", "3"],
};

export const resultPath = (name: ScenarioName, quick: boolean): string =>
  join(RESULTS_DIR, quick ? `${name}.tmp.json` : `${name}.json`);

/** Runs one scenario script in its own Node process; true when it exited cleanly. */
export function runScenario(name: ScenarioName, quick: boolean): boolean {
  const [script, ...args] = (quick ? QUICK_ARGS : FULL_ARGS)[name];
  process.stdout.write(`\n== ${name}${quick ? " (quick)" : ""} ==\n`);
  const started = Date.now();
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", join(ROOT, script!), ...args, "--json", resultPath(name, quick)],
    { cwd: ROOT, stdio: "inherit" },
  );
  const ok = r.status === 0;
  process.stdout.write(
    `== ${name}: ${ok ? "done" : "FAILED"} in ${Math.round((Date.now() - started) / 1000)} s ==\n`,
  );
  return ok;
}
