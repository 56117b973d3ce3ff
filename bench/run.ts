/**
 * `pnpm bench`: every scenario in turn, each in its own process, each writing its JSON result to
 * bench/results/<scenario>.json: the recorded baseline that `pnpm bench:check` compares against.
 * docs/benchmarks.md summarises them.
 *
 * Run: pnpm bench [--only latency,throughput,bytes,memory]
 */
import { option } from "./support/args.js";
import { runScenario, SCENARIO_NAMES, type ScenarioName } from "./support/scenarios.js";

const only = (option("only")?.split(",") ?? [...SCENARIO_NAMES]) as ScenarioName[];
const unknown = only.filter((s) => !SCENARIO_NAMES.includes(s));
if (unknown.length > 0) {
  process.stderr.write(`unknown scenario(s): ${unknown.join(", ")}; known: ${SCENARIO_NAMES.join(", ")}\n`);
  process.exit(2);
}
const failed = only.filter((name) => !runScenario(name, false));
if (failed.length > 0) {
  process.stderr.write(`failed: ${failed.join(", ")}\n`);
  process.exit(1);
}
