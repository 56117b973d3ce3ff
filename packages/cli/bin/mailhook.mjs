#!/usr/bin/env node
// The `mailhook` command. It runs the CLI's bundle, packages/cli/dist/mailhook.mjs: one plain
// JavaScript file that `pnpm run build` (and `npm start`, and the test setup, whenever a source is
// newer) makes, with every dependency inside. A checkout that was never built runs the TypeScript
// through tsx instead (a development tool), as does MAILHOOK_CLI_SOURCE=1 while editing the CLI.
import { existsSync } from "node:fs";

const bundle = new URL("../dist/mailhook.mjs", import.meta.url);
if (process.env.MAILHOOK_CLI_SOURCE !== "1" && existsSync(bundle)) {
  await import(bundle.href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  const { run, processIo } = await import("../src/index.ts");
  process.exitCode = await run(process.argv.slice(2), processIo());
}
