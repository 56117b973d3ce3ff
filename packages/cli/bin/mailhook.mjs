#!/usr/bin/env node
// The `mailhook` command. In the workspace it runs the TypeScript through tsx (a development
// tool, like the rest of the checkout); the production services have their own bundles.
import { register } from "tsx/esm/api";

register();
const { run, processIo } = await import("../src/index.ts");
process.exitCode = await run(process.argv.slice(2), processIo());
