import { createLogger } from "@mailhook/log";
import { createRuntime, onShutdown, parseEnv, seedConfig } from "@mailhook/runtime";
import { startWatcherService } from "./service.js";

const env = parseEnv(process.env);
const log = createLogger({ name: "watcher", level: env.LOG_LEVEL });
const runtime = await createRuntime(env, log);
try {
  await seedConfig(env, runtime.store, log);
} catch (err) {
  log.fatal({ err: err instanceof Error ? err.message : String(err) }, "configuration rejected");
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
const service = await startWatcherService({
  redisUrl: env.REDIS_URL,
  prefix: env.MAILHOOK_PREFIX,
  store: runtime.store,
  log,
  ownerId: env.WATCHER_ID,
  leaseTtlMs: env.WATCHER_LEASE_TTL_MS,
  reconcileMs: env.WATCHER_RECONCILE_MS,
  timing: {
    healthCheckMs: env.WATCHER_HEALTHCHECK_MS,
    noopTimeoutMs: env.WATCHER_NOOP_TIMEOUT_MS,
    backoffBaseMs: env.WATCHER_BACKOFF_BASE_MS,
    backoffCapMs: env.WATCHER_BACKOFF_CAP_MS,
    authBackoffBaseMs: env.WATCHER_AUTH_BACKOFF_BASE_MS,
  },
});
onShutdown(log, async () => {
  await service.stop();
  await runtime.close();
});
