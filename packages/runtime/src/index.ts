export type { Runtime } from "./boot.js";
export { createRuntime, onShutdown, seedConfig } from "./boot.js";
export { Env, parseEnv } from "./env.js";
