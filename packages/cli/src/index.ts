export { type CliIo, processIo, UsageError } from "./io.js";
export { type RunOptions, run } from "./main.js";
