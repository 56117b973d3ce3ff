export type { Runtime } from "./boot.js";
export {
  bootService,
  createRuntime,
  exitFatal,
  exitOnConfigError,
  loadConfig,
  onShutdown,
  quotaDefaults,
  seedConfig,
} from "./boot.js";
export { checkConfigDestinations } from "./check-config.js";
export { Env, parseEnv } from "./env.js";
export type { HealthServer } from "./health.js";
export { startHealthServer } from "./health.js";
export { createOutbound } from "./outbound.js";
export type { RedisConnection } from "./redis.js";
export { connectRedis } from "./redis.js";
