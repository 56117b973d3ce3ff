/**
 * `pnpm bench`: every scenario in turn, each in its own process, each writing its JSON result to
 * bench/results/<scenario>.json: the recorded baseline that `pnpm bench:check` compares against.
 * docs/benchmarks.md summarises them.
 *
 * Run: pnpm bench [--only latency,throughput,bytes,memory,scale,hostile,console]
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { option } from "./support/args.js";
import { runScenario, SCENARIO_NAMES, type ScenarioName } from "./support/scenarios.js";
import { ROOT } from "./support/services.js";

const only = (option("only")?.split(",") ?? [...SCENARIO_NAMES]) as ScenarioName[];
const unknown = only.filter((s) => !SCENARIO_NAMES.includes(s));
if (unknown.length > 0) {
  process.stderr.write(`unknown scenario(s): ${unknown.join(", ")}; known: ${SCENARIO_NAMES.join(", ")}\n`);
  process.exit(2);
}
const failed = only.filter((name) => !runScenario(name, false));
// The tables in docs/benchmarks.md come from the results just written.
spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "bench", "summary.ts")], {
  cwd: ROOT,
  stdio: "inherit",
});
if (failed.length > 0) {
  process.stderr.write(`failed: ${failed.join(", ")}\n`);
  process.exit(1);
}
