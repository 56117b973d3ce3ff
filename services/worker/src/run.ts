import {
  bootService,
  createRuntime,
  type HealthServer,
  onShutdown,
  startHealthServer,
} from "@mailhook/runtime";
import { startWorkerService, type WorkerService } from "./service.js";

/**
 * Starts the worker service: everything `node services/worker/dist/main.js` does. A function, not
 * module top-level code, so the production bundle can be loaded (and its V8 code cache written)
 * without starting anything: scripts/build.mjs, "code cache".
 */
export async function run(): Promise<void> {
  // JSON lines on every failure path, including a rejected run() (see bootService).
  const { env, log } = bootService("worker");
  const runtime = await createRuntime(env, log);
  // The stop hook is in place before the service logs that it started: a SIGTERM sent on that line
  // (an orchestrator, a benchmark) stops it gracefully (membership left, leases released) instead of
  // killing it with them held until their TTL.
  let service: WorkerService | undefined;
  let health: HealthServer | null = null;
  onShutdown(log, async () => {
    await health?.close();
    await service?.stop();
    await runtime.close();
  });
  service = await startWorkerService({
    connection: runtime.bullConnection,
    prefix: env.MAILHOOK_PREFIX,
    store: runtime.store,
    log,
    mailConcurrency: env.WORKER_CONCURRENCY,
    deliveryConcurrency: env.DELIVERY_CONCURRENCY,
    imapPoolSize: env.IMAP_POOL_SIZE,
    workerId: env.WORKER_ID,
    imapSessionsPerMailbox: env.IMAP_SESSIONS_PER_MAILBOX,
    imapSessionLeaseMs: env.IMAP_SESSION_LEASE_MS,
    routeToHolder: env.IMAP_ROUTE_TO_HOLDER,
    imapCommandTimeoutMs: env.IMAP_COMMAND_TIMEOUT_MS,
    limits: {
      textBytes: env.FETCH_TEXT_MAX_BYTES,
      htmlBytes: env.FETCH_HTML_MAX_BYTES,
      attachmentBytes: env.FETCH_ATTACHMENT_MAX_BYTES,
    },
    outbound: runtime.outbound,
    schedule: env.WEBHOOK_RETRY_SCHEDULE_MS,
    timeouts: {
      connectTimeoutMs: env.WEBHOOK_CONNECT_TIMEOUT_MS,
      totalTimeoutMs: env.WEBHOOK_TIMEOUT_MS,
      maxResponseBytes: 4_096,
    },
    gate: {
      concurrency: env.WEBHOOK_ENDPOINT_CONCURRENCY,
      failureThreshold: env.WEBHOOK_CIRCUIT_FAILURES,
      openMs: env.WEBHOOK_CIRCUIT_OPEN_MS,
      maxOpenMs: env.WEBHOOK_CIRCUIT_MAX_OPEN_MS,
    },
    jobLockMs: env.WORKER_JOB_LOCK_MS,
    configCacheMs: env.WORKER_CONFIG_CACHE_MS,
    actConcurrency: env.ACT_CONCURRENCY,
    createFolders: env.ACT_CREATE_FOLDERS,
    inlineFirstAttempt: env.WEBHOOK_INLINE_FIRST_ATTEMPT,
    ruleBudget: {
      threads: env.RULES_EVAL_THREADS,
      inlineRegexSteps: env.RULES_INLINE_REGEX_STEPS,
      budgetMs: env.RULES_EVAL_BUDGET_MS,
      maxFieldChars: env.RULES_MAX_FIELD_CHARS,
      strikes: env.RULES_BUDGET_STRIKES,
    },
  });
  health = await startHealthServer({
    port: env.HEALTH_PORT,
    host: env.HEALTH_HOST,
    redis: runtime.redis,
    log,
  });
}
