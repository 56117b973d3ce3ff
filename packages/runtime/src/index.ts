export type { Runtime } from "./boot.js";
export {
  createRuntime,
  exitOnConfigError,
  loadConfig,
  onShutdown,
  quotaDefaults,
  seedConfig,
} from "./boot.js";
export { Env, parseEnv } from "./env.js";
export type { RedisConnection } from "./redis.js";
export { connectRedis } from "./redis.js";
