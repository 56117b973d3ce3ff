/**
 * `pnpm bench`: every scenario in turn, each in its own process, each writing its JSON result under
 * bench/results/ (the recorded baseline that `pnpm bench:check` compares against). The human summary
 * is docs/benchmarks.md.
 *
 * Run: pnpm bench [--only latency,throughput,bytes,memory]
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { option } from "./support/args.js";
import { RESULTS_DIR } from "./support/results.js";
import { ROOT } from "./support/services.js";

const SCENARIOS: Record<string, string[]> = {
  latency: ["bench/latency.ts"],
  throughput: ["bench/throughput.ts", "--cpu-prof"],
  bytes: ["bench/bytes.ts", "--corpus", "full", "--json", join(RESULTS_DIR, "bytes.json")],
  memory: ["bench/memory.ts"],
};

const only = option("only")?.split(",") ?? Object.keys(SCENARIOS);
const unknown = only.filter((s) => !SCENARIOS[s]);
if (unknown.length > 0) {
  process.stderr.write(
    `unknown scenario(s): ${unknown.join(", ")}; known: ${Object.keys(SCENARIOS).join(", ")}\n`,
  );
  process.exit(2);
}
const failed: string[] = [];
for (const name of only) {
  const [script, ...args] = SCENARIOS[name]!;
  process.stdout.write(`\n== ${name} ==\n`);
  const started = Date.now();
  const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, script!), ...args], {
    cwd: ROOT,
    stdio: "inherit",
  });
  process.stdout.write(
    `== ${name}: ${r.status === 0 ? "done" : "FAILED"} in ${Math.round((Date.now() - started) / 1000)} s ==\n`,
  );
  if (r.status !== 0) failed.push(name);
}
if (failed.length > 0) {
  process.stderr.write(`failed: ${failed.join(", ")}\n`);
  process.exit(1);
}
