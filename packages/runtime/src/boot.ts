import { ConfigError, type LoadedConfig, loadConfigFile } from "@mailhook/config";
import { createLogger, type Logger } from "@mailhook/log";
import type { OutboundPolicy } from "@mailhook/net";
import type { QueueOptions } from "@mailhook/queue";
import {
  createSecretBox,
  createStore,
  migrateKeyLayout,
  type Quotas,
  type RedisClient,
  type Store,
  seedFromConfig,
} from "@mailhook/store";
import { generateSecret } from "@mailhook/webhook";
import { type Env, parseEnv } from "./env.js";
import { claimInstallation } from "./install-id.js";
import { createOutbound } from "./outbound.js";
import { connectRedis } from "./redis.js";

export interface Runtime {
  redis: RedisClient;
  store: Store;
  /** The client all of the process's BullMQ queues and workers share (see connectRedis). */
  bullConnection: QueueOptions["connection"];
  /** The outbound-connection policy every tenant-aimed connection goes through. */
  outbound: OutboundPolicy;
  close(): Promise<void>;
}

/** Connects to Redis and builds the store. Warns when Redis is set up so that jobs could be lost. */
export async function createRuntime(env: Env, log: Logger): Promise<Runtime> {
  const { redis, bull, mode } = connectRedis(env);
  redis.on("error", (err: Error) => log.warn({ err: err.message }, "redis connection error"));
  // BullMQ reports its client's errors through each queue's and worker's "error" event (logged by
  // the services); this listener only keeps ioredis from printing them a second time.
  if (bull !== redis) bull.on("error", () => {});
  // Redis down at start: ioredis keeps reconnecting (each failure is one warn line above) and the
  // service starts once it answers, instead of dying with a stack trace.
  await redis.connect().catch(async () => {
    log.warn({}, "waiting for Redis");
    await new Promise<void>((resolve) => redis.once("ready", () => resolve()));
  });
  log.info({ mode }, "connected to Redis");
  await checkRedisDurability(redis, log);
  if (env.MAILHOOK_INSTALL_ID) {
    await claimInstallation(redis, {
      prefix: env.MAILHOOK_PREFIX,
      installId: env.MAILHOOK_INSTALL_ID,
      redisUrl: env.REDIS_URL,
    }).catch((err: unknown) => {
      log.fatal({ code: "install_conflict" }, "another mailhook installation uses this Redis prefix");
      process.stderr.write(`mailhook: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    });
  }
  const moved = await migrateKeyLayout(redis, env.MAILHOOK_PREFIX);
  if (moved > 0) log.info({ moved }, "renamed Redis keys to the hash-tagged layout");
  const store = createStore({
    redis,
    prefix: env.MAILHOOK_PREFIX,
    secrets: createSecretBox(env.MAILHOOK_ENCRYPTION_KEYS),
    deliveryRetentionSec: env.DELIVERY_RETENTION_HOURS * 3600,
    quotas: quotaDefaults(env),
  });
  return {
    redis,
    store,
    bullConnection: bull,
    outbound: createOutbound(env, redis),
    async close() {
      // BullMQ never closes a client it was given: the runtime does, once the services have stopped.
      if (bull !== redis) await bull.quit().catch(() => bull.disconnect());
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** The default quotas per tenant, from the environment. */
export function quotaDefaults(env: Env): Quotas {
  return {
    mailboxes: env.QUOTA_MAILBOXES,
    folders: env.QUOTA_FOLDERS,
    rules: env.QUOTA_RULES,
    endpoints: env.QUOTA_ENDPOINTS,
    deliveries: env.QUOTA_DELIVERIES,
    apiPerMinute: env.QUOTA_API_PER_MINUTE,
  };
}

async function checkRedisDurability(redis: RedisClient, log: Logger): Promise<void> {
  try {
    const policy = (await redis.config("GET", "maxmemory-policy")) as string[];
    const aof = (await redis.config("GET", "appendonly")) as string[];
    if (policy[1] !== "noeviction") {
      log.warn({ policy: policy[1] }, "Redis maxmemory-policy is not noeviction: queued jobs can be evicted");
    }
    if (aof[1] !== "yes") {
      log.warn({}, "Redis append-only persistence is off: a Redis restart loses queued jobs and cursors");
    }
  } catch {
    // CONFIG is often disabled on managed Redis; nothing to check then.
  }
}

/**
 * Loads MAILHOOK_CONFIG when set, before anything connects: a bad file fails the start with every
 * problem listed (ConfigError) whether or not Redis is up.
 */
export async function loadConfig(env: Env): Promise<LoadedConfig | null> {
  if (!env.MAILHOOK_CONFIG) return null;
  return loadConfigFile(env.MAILHOOK_CONFIG, process.env);
}

/** Writes a loaded config file into the store (idempotent; every service may do it at start). */
export async function seedConfig(config: LoadedConfig | null, store: Store, log: Logger): Promise<void> {
  if (!config) return;
  const result = await seedFromConfig(store, config, generateSecret);
  log.info({ ...result }, "configuration seeded");
}

/** Prints a rejected configuration for people (stderr) and machines (one log line), then exits 2. */
export function exitOnConfigError(err: unknown, log: Logger): never {
  const problems = err instanceof ConfigError ? err.problems : undefined;
  const message = err instanceof Error ? err.message : String(err);
  log.fatal({ problems }, "configuration rejected");
  process.stderr.write(`mailhook: configuration rejected:\n${message}\n`);
  process.exit(2);
}

/**
 * Parses the environment and makes the service's logger. Every failure path logs JSON lines: a
 * bad environment is one `fatal` line listing the problems (exit 2), and unhandled rejections and
 * exceptions are logged as `fatal` before the process exits 1 (never a raw stack trace).
 */
export function bootService(
  name: string,
  source: NodeJS.ProcessEnv = process.env,
): { env: Env; log: Logger } {
  let env: Env;
  try {
    env = parseEnv(source);
  } catch (err) {
    createLogger({ name, level: "info" }).fatal(
      { err: err instanceof Error ? err.message : String(err) },
      "invalid environment",
    );
    process.exit(2);
  }
  const log = createLogger({ name, level: env.LOG_LEVEL });
  process.on("unhandledRejection", (reason) => exitFatal(log, reason, "unhandled rejection"));
  // Also what a rejected top-level await of an ES module entry point arrives as.
  process.on("uncaughtException", (err) => exitFatal(log, err, "uncaught exception"));
  return { env, log };
}

/** Logs `err` as one fatal JSON line (message and stack as fields) and exits 1. */
export function exitFatal(log: Logger, err: unknown, msg: string): never {
  log.fatal(
    err instanceof Error
      ? {
          err: err.message,
          stack: err.stack
            ?.split("\n")
            .slice(1, 8)
            .map((l) => l.trim()),
        }
      : { err: String(err) },
    msg,
  );
  process.exit(1);
}

/** Runs `stop` once on SIGTERM/SIGINT, then exits; a second signal exits at once. */
export function onShutdown(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, "shutting down");
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err: String(err) }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => handler("SIGTERM"));
  process.on("SIGINT", () => handler("SIGINT"));
}
