#!/usr/bin/env node
// The `mailhook` command's entry point: what scripts/build.mjs bundles into packages/cli/dist/mailhook.mjs.
import { processIo, run } from "./index.js";

process.exitCode = await run(process.argv.slice(2), processIo());
