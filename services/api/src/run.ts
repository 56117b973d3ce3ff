import { fileURLToPath } from "node:url";
import { serve } from "@hono/node-server";
import { createProducer, purgeTenantJobs } from "@mailhook/queue";
import { bootService, createRuntime, onShutdown, quotaDefaults } from "@mailhook/runtime";
import { createMailboxOAuth, createSecretBox } from "@mailhook/store";
import { createApp } from "./app.js";
import { startOAuthRefresher } from "./oauth-refresh.js";

/**
 * Starts the api service: everything `node services/api/dist/main.js` does. A function, not
 * module top-level code, so the production bundle can be loaded (and its V8 code cache written)
 * without starting anything: scripts/build.mjs, "code cache".
 */
export async function run(): Promise<void> {
  // JSON lines on every failure path, including a rejected run() (see bootService).
  const { env, log } = bootService("api");
  const runtime = await createRuntime(env, log);
  const mailQueue = createProducer("mail.process", {
    connection: runtime.bullConnection,
    prefix: env.MAILHOOK_PREFIX,
    onError: (err) => log.warn({ err: err.message }, "redis queue error"),
  });
  const deliveries = createProducer("webhook.deliver", {
    connection: runtime.bullConnection,
    prefix: env.MAILHOOK_PREFIX,
    onError: (err) => log.warn({ err: err.message }, "redis queue error"),
  });
  const actions = createProducer("mail.act", {
    connection: runtime.bullConnection,
    prefix: env.MAILHOOK_PREFIX,
    onError: (err) => log.warn({ err: err.message }, "redis queue error"),
  });
  const queues = [mailQueue, deliveries];
  // Tenant deletion removes the tenant's jobs from every queue, mail.act included.
  const allQueues = [...queues, actions];
  const secrets = createSecretBox(env.MAILHOOK_ENCRYPTION_KEYS);
  if (!env.MAILHOOK_ADMIN_TOKEN)
    log.warn({}, "MAILHOOK_ADMIN_TOKEN is not set: tenants and tokens cannot be managed");
  const app = createApp({
    redis: runtime.redis,
    store: runtime.store,
    prefix: env.MAILHOOK_PREFIX,
    secrets,
    log,
    adminToken: env.MAILHOOK_ADMIN_TOKEN ?? null,
    outbound: runtime.outbound,
    deliveries,
    mailJobs: mailQueue,
    // Both src/run.ts (tsx) and the dist/service.cjs bundle sit two levels below the repository root.
    consoleDir: fileURLToPath(new URL("../../../packages/console/dist/", import.meta.url)),
    corsOrigins: env.API_CORS_ORIGINS,
    trustedProxies: env.API_TRUSTED_PROXIES,
    quotas: quotaDefaults(env),
    purgeTenantJobs: (tenantId, isTenantJob) =>
      purgeTenantJobs(
        allQueues.map((q) => q.queue),
        tenantId,
        { redis: runtime.redis, isTenantJob },
      ),
    leaseTtlMs: env.WATCHER_LEASE_TTL_MS,
    limits: {
      bodyBytes: env.API_BODY_LIMIT_BYTES,
      emlBytes: env.API_EML_LIMIT_BYTES,
      ratePerWindow: env.API_RATE_LIMIT,
      rateWindowMs: env.API_RATE_WINDOW_MS,
      authFailuresPerWindow: env.API_AUTH_FAILURE_LIMIT,
      authFailureWindowMs: env.API_AUTH_FAILURE_WINDOW_MS,
      testMaxRules: env.RULES_TEST_MAX_RULES,
    },
    ruleLimits: { maxConditions: env.RULES_MAX_CONDITIONS, maxRepeat: env.RULES_MAX_REPEAT },
    ruleBudget: {
      threads: env.RULES_EVAL_THREADS,
      budgetMs: env.RULES_EVAL_BUDGET_MS,
      maxFieldChars: env.RULES_MAX_FIELD_CHARS,
      strikes: env.RULES_BUDGET_STRIKES,
    },
    fetchLimits: {
      textBytes: env.FETCH_TEXT_MAX_BYTES,
      htmlBytes: env.FETCH_HTML_MAX_BYTES,
      attachmentBytes: env.FETCH_ATTACHMENT_MAX_BYTES,
    },
    workerCounts: async () =>
      Object.fromEntries(
        await Promise.all(queues.map(async (p) => [p.queue.name, await p.queue.getWorkersCount()] as const)),
      ),
    jobCounts: async () =>
      Object.fromEntries(
        await Promise.all(queues.map(async (p) => [p.queue.name, await p.queue.getJobCounts()] as const)),
      ),
  });
  const refresher = startOAuthRefresher({
    store: runtime.store,
    oauth: createMailboxOAuth(runtime.store, env.MAILHOOK_PREFIX, secrets),
    http: {
      outbound: runtime.outbound,
      onDetail: (detail) => log.info({ component: "oauth-refresh", ...detail }, "token endpoint detail"),
    },
    log: log.child({ component: "oauth-refresh" }),
  });
  const server = serve({ fetch: app.fetch, hostname: env.API_HOST, port: env.API_PORT }, (info) =>
    log.info({ url: `http://${env.API_HOST}:${info.port}` }, "api listening"),
  );
  onShutdown(log, async () => {
    await refresher.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all(allQueues.map((q) => q.close()));
    await runtime.close();
  });
}
