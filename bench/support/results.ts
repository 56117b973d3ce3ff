import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { option } from "./args.js";
import { describeMachine, type Machine } from "./machine.js";
import { ROOT } from "./services.js";

export const RESULTS_DIR = join(ROOT, "bench", "results");

export interface ResultFile<T> {
  scenario: string;
  command: string;
  machine: Machine;
  result: T;
}

/**
 * Where a script writes its result: `--json <path>` when given (`pnpm bench` passes the recorded
 * file, `pnpm bench:check` the quick one), else `<scenario>.last.json` (git-ignored). A run to try
 * something (another build, a V8 flag, one variant) thus never replaces the recorded baseline.
 */
export function resultOut(scenario: string): string {
  return option("json") ?? join(RESULTS_DIR, `${scenario}.last.json`);
}

/**
 * Writes a scenario's result as JSON. The recorded baseline lives in bench/results/<scenario>.json
 * (committed); quick runs for `bench:check` go to *.tmp.json (git-ignored).
 */
export function writeResult<T>(path: string, scenario: string, machine: Machine, result: T): void {
  mkdirSync(dirname(path), { recursive: true });
  const file: ResultFile<T> = {
    scenario,
    command: `npx tsx ${process.argv
      .slice(1)
      .map((a) => a.replace(`${ROOT}/`, ""))
      .join(" ")}`,
    machine,
    result,
  };
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
}

export function readResult<T>(path: string): ResultFile<T> {
  return JSON.parse(readFileSync(path, "utf8")) as ResultFile<T>;
}

export { describeMachine };
