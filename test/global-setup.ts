import { ensureBuilt } from "../scripts/build.mjs";
import { ensureConsoleBuilt } from "../scripts/build-console.mjs";

/** Rebuilds the service bundles when a source is newer, so process suites never run stale code. */
export default async function setup(): Promise<void> {
  await ensureBuilt();
  await ensureConsoleBuilt();
}
