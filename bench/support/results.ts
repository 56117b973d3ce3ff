import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
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
