#!/usr/bin/env node
// `npm test`: installs what the suites need (scripts/setup.mjs), then runs every unit and integration
// test against real Redis, Dovecot and HTTP receivers. Extra arguments go to vitest
// (e.g. `npm test -- test/watcher.test.ts`).
import { spawnSync } from "node:child_process";
import { root } from "./lib/bootstrap.mjs";
import { setup } from "./setup.mjs";

const pnpm = await setup();
const r = spawnSync(pnpm, ["exec", "vitest", "run", ...process.argv.slice(2)], {
  cwd: root,
  stdio: "inherit",
});
process.exit(r.status ?? 1);
