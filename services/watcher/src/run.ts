import {
  bootService,
  checkConfigDestinations,
  createRuntime,
  exitOnConfigError,
  type HealthServer,
  loadConfig,
  onShutdown,
  seedConfig,
  startHealthServer,
} from "@mailhook/runtime";
import { startWatcherService, type WatcherService } from "./service.js";

/**
 * Starts the watcher service: everything `node services/watcher/dist/main.js` does. A function, not
 * module top-level code, so the production bundle can be loaded (and its V8 code cache written)
 * without starting anything: scripts/build.mjs, "code cache".
 */
export async function run(): Promise<void> {
  // JSON lines on every failure path, including a rejected run() (see bootService).
  const { env, log } = bootService("watcher");
  const config = await loadConfig(env).catch((err: unknown) => exitOnConfigError(err, log));
  const runtime = await createRuntime(env, log);
  await checkConfigDestinations(config, runtime.outbound, env.MAILHOOK_CONFIG ?? "", log).catch(
    (err: unknown) => exitOnConfigError(err, log),
  );
  await seedConfig(config, runtime.store, log);
  // The stop hook is in place before the service logs that it started: a SIGTERM sent on that line
  // (an orchestrator, a benchmark) stops it gracefully (membership left, leases released) instead of
  // killing it with them held until their TTL.
  let service: WatcherService | undefined;
  let health: HealthServer | null = null;
  onShutdown(log, async () => {
    await health?.close();
    await service?.stop();
    await runtime.close();
  });
  service = await startWatcherService({
    connection: runtime.bullConnection,
    prefix: env.MAILHOOK_PREFIX,
    store: runtime.store,
    log,
    ownerId: env.WATCHER_ID,
    outbound: runtime.outbound,
    leaseTtlMs: env.WATCHER_LEASE_TTL_MS,
    reconcileMs: env.WATCHER_RECONCILE_MS,
    capacity: env.WATCHER_CAPACITY,
    connectConcurrency: env.WATCHER_CONNECT_CONCURRENCY,
    restartGraceMs: env.WATCHER_RESTART_GRACE_MS,
    presenceConfirmMs: env.WATCHER_PRESENCE_CONFIRM_MS,
    ...(env.WATCHER_TICK_MS !== undefined ? { tickMs: env.WATCHER_TICK_MS } : {}),
    timing: {
      healthCheckMs: env.WATCHER_HEALTHCHECK_MS,
      noopTimeoutMs: env.WATCHER_NOOP_TIMEOUT_MS,
      reselectMs: env.WATCHER_RESELECT_MS,
      backoffBaseMs: env.WATCHER_BACKOFF_BASE_MS,
      backoffCapMs: env.WATCHER_BACKOFF_CAP_MS,
      authBackoffBaseMs: env.WATCHER_AUTH_BACKOFF_BASE_MS,
    },
  });
  health = await startHealthServer({
    port: env.HEALTH_PORT,
    host: env.HEALTH_HOST,
    redis: runtime.redis,
    log,
  });
}
