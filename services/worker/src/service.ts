import { createConnectionPool, DestinationRefused, isAuthFailure } from "@mailhook/imap";
import type { Logger } from "@mailhook/log";
import type { FetchLimits } from "@mailhook/model";
import type { OutboundPolicy } from "@mailhook/net";
import {
  createBudgetedEvaluator,
  createConfigCaches,
  createInlineDelivery,
  createMailActor,
  createMailProcessor,
  createWebhookDeliverer,
  type DeliveryTimeouts,
  deferForBudget,
  limitConcurrency,
  MailActError,
  type MailLane,
  processMailRange,
} from "@mailhook/pipeline";
import {
  createConsumer,
  createProducer,
  DelayedError,
  type Processor,
  type QueueOptions,
  UnrecoverableError,
} from "@mailhook/queue";
import { createRulePool, type RulePoolOptions } from "@mailhook/rule-pool";
import {
  createCounters,
  createEndpointGate,
  createInlinePending,
  createRuleHealth,
  DEFAULT_GATE_POLICY,
  type DeliveryRecord,
  type GatePolicy,
  type Store,
} from "@mailhook/store";
import { createWorkerSessions } from "./sessions.js";

export interface WorkerServiceOptions {
  /** A single Redis for BullMQ; or `connection` (the runtime's `bullConnection`, e.g. the Cluster client). */
  redisUrl?: string;
  connection?: QueueOptions["connection"];
  prefix: string;
  store: Store;
  log: Logger;
  mailConcurrency: number;
  deliveryConcurrency: number;
  imapPoolSize: number;
  /** This worker's id (WORKER_ID): names its session leases; unique among live workers. */
  workerId?: string;
  /** IMAP_SESSIONS_PER_MAILBOX: worker sessions per mailbox across all workers (0: `imapPoolSize` alone). */
  imapSessionsPerMailbox?: number;
  /** A killed worker's session leases are free again after this long (IMAP_SESSION_LEASE_MS). */
  imapSessionLeaseMs?: number;
  /** Budget full: forward a job to the live worker holding the mailbox's sessions (IMAP_ROUTE_TO_HOLDER). */
  routeToHolder?: boolean;
  /** Upper bound for one job's IMAP work before the connection is presumed dead. */
  imapOperationTimeoutMs?: number;
  /** No answer to an IMAP command for this long: the pooled connection is dead (default 30 s). */
  imapCommandTimeoutMs?: number;
  /** FETCH command shape (tests only: turning the guards off makes a message the server refuses). */
  fetchShape?: { sectionsPerCommand?: number; fallbackSections?: number };
  limits: FetchLimits;
  /** The outbound policy (runtime.outbound): every IMAP connection and webhook attempt is checked and pinned by it. */
  outbound: OutboundPolicy;
  schedule?: number[] | undefined;
  timeouts: DeliveryTimeouts;
  onDelivered?: (latencyMs: number) => void;
  /** Per-endpoint concurrency and circuit breaker (defaults: DEFAULT_GATE_POLICY). */
  gate?: Partial<GatePolicy>;
  /**
   * BullMQ lock duration: a worker that dies mid-job (SIGKILL, OOM) has its jobs picked up by
   * another worker after about this long. Default 30 s.
   */
  jobLockMs?: number;
  /** `mail.act` jobs in flight (default 8). */
  actConcurrency?: number;
  /** A move or copy to a missing folder creates it (default: permanent error naming the folder). */
  createFolders?: boolean;
  /**
   * Make each new delivery's first attempt straight from mail.process instead of through the
   * delivery queue (default false; see packages/pipeline/src/inline-delivery.ts).
   */
  inlineFirstAttempt?: boolean;
  /** Rule evaluation threads, time budget and text cap (RULES_EVAL_*), and strikes before suspension. */
  ruleBudget?: RulePoolOptions & { strikes?: number };
  /** WORKER_CONFIG_CACHE_MS: how long mailboxes, endpoints and rules are cached while notices arrive. */
  configCacheMs?: number;
  /** Deliveries that may wait in this process for an inline first attempt (default 5,000). */
  inlineMaxWaiting?: number;
}

/**
 * The worker: consumes `mail.process` (fetch the needed parts, match, create deliveries),
 * `webhook.deliver` (sign and POST, retry on mailhook's schedule, per-endpoint isolation) and
 * `mail.act` (move, copy, flag, delete over the same IMAP pool). SIGTERM-safe: `stop()` lets
 * in-flight jobs finish before connections close.
 */
export async function startWorkerService(opts: WorkerServiceOptions) {
  const connection = opts.connection ?? { url: opts.redisUrl, maxRetriesPerRequest: null };
  const onError = (queue: string) => (err: Error) =>
    opts.log.warn({ queue, err: err.message }, "redis queue error");
  const deliveries = createProducer("webhook.deliver", {
    connection,
    prefix: opts.prefix,
    onError: onError("webhook.deliver"),
  });
  const actions = createProducer("mail.act", {
    connection,
    prefix: opts.prefix,
    onError: onError("mail.act"),
  });
  const mailRetries = createProducer("mail.process", {
    connection,
    prefix: opts.prefix,
    onError: onError("mail.process"),
  });
  // Stalled jobs (their worker died) are found by the stalled check and run again elsewhere.
  // A job survives a few worker deaths (BullMQ's default of 1 would fail a delivery for good the
  // second time its worker is killed mid-attempt, leaving its record pending without a job).
  const lock = {
    maxStalledCount: 5,
    ...(opts.jobLockMs ? { lockDuration: opts.jobLockMs, stalledInterval: opts.jobLockMs } : {}),
  };
  // Shared counters for the API's /metrics, written once a second (a lost increment is no failure).
  const counters = createCounters(opts.store.redis, opts.store.keys.metrics);
  const countMetric = (field: string) => counters.add(field);
  const sessions = createWorkerSessions({
    store: opts.store,
    log: opts.log,
    prefix: opts.prefix,
    connection,
    workerId: opts.workerId ?? `worker-${process.pid}`,
    perMailbox: opts.imapSessionsPerMailbox ?? 0,
    leaseMs: opts.imapSessionLeaseMs,
    route: opts.routeToHolder ?? true,
    shared: mailRetries,
    count: countMetric,
    consumer: { concurrency: opts.mailConcurrency, ...lock },
  });
  const pool = createConnectionPool({
    log: opts.log,
    outbound: opts.outbound,
    maxPerMailbox: opts.imapPoolSize,
    ...(sessions ? { budget: sessions.pool } : {}),
    ...(opts.imapOperationTimeoutMs ? { operationTimeoutMs: opts.imapOperationTimeoutMs } : {}),
    ...(opts.imapCommandTimeoutMs ? { commandTimeoutMs: opts.imapCommandTimeoutMs } : {}),
  });
  const rulePool = createRulePool(opts.ruleBudget);
  const health = createRuleHealth(opts.store, { strikes: opts.ruleBudget?.strikes ?? 3 });
  // Mailboxes, endpoints and rules stay cached until a change notice (edits apply at once).
  const config = await createConfigCaches({
    store: opts.store,
    health,
    log: opts.log,
    maxAgeMs: opts.configCacheMs ?? 300_000,
  });
  const { mailboxes, endpoints, rules } = config;
  const processMail = createMailProcessor({
    store: opts.store,
    pool,
    rules,
    evaluate: createBudgetedEvaluator({ pool: rulePool, health, log: opts.log }),
    mailboxes,
    endpoints,
    deliveries,
    actions,
    log: opts.log,
    limits: opts.limits,
    poolSize: opts.imapPoolSize,
    onFetched: (messages, bytes) => {
      counters.add("fetch_messages", messages);
      counters.add("fetch_bytes", bytes);
    },
    onFallback: (uid, reason, parseError) => {
      countMetric("fetch_fallbacks");
      opts.log.warn(
        { uid, reason, parseError },
        "read the message from its capped source instead of its BODYSTRUCTURE",
      );
    },
    onFetchFailed: () => countMetric("fetch_failed"),
    ...(opts.fetchShape ? { fetchShape: opts.fetchShape } : {}),
    ...(opts.inlineFirstAttempt === false
      ? {}
      : {
          deliverNow: (t: string, id: string, ep: string, rec?: DeliveryRecord) =>
            inline.start(t, id, ep, rec),
        }),
  });
  const processLimited = limitConcurrency(opts.mailConcurrency, processMail);
  const deliverOnce = createWebhookDeliverer({
    store: opts.store,
    endpoints,
    log: opts.log,
    outbound: opts.outbound,
    timeouts: opts.timeouts,
    actions,
    gate: createEndpointGate(opts.store.redis, opts.prefix, {
      ...DEFAULT_GATE_POLICY,
      // A slot outlives the longest attempt, so only a crashed worker's slot is ever reclaimed.
      slotLeaseMs: opts.timeouts.totalTimeoutMs * 2 + opts.timeouts.connectTimeoutMs,
      ...opts.gate,
    }),
    ...(opts.schedule ? { schedule: opts.schedule } : {}),
    ...(opts.onDelivered ? { onDelivered: opts.onDelivered } : {}),
  });

  const inline = createInlineDelivery({
    deliverOnce: (job, record) => deliverOnce(job, 0, record),
    deliveries,
    pending: createInlinePending(opts.store.redis, opts.store.keys.inlinePending),
    log: opts.log,
    // Room for every endpoint of a burst at its limit (5 busy endpoints × 16 slots), so a burst's
    // first attempts stay off the queue; a new delivery beyond it is queued.
    maxInFlight: opts.deliveryConcurrency * 2,
    maxPerEndpoint: opts.gate?.concurrency ?? DEFAULT_GATE_POLICY.concurrency,
    maxWaiting: opts.inlineMaxWaiting ?? 5_000,
    // About what a delivery waits behind a busy endpoint before it is better off in the queue.
    maxWaitMs: opts.timeouts.totalTimeoutMs,
    // Longer than any attempt can take: slot wait, connect, the whole request, and some slack.
    safetyDelayMs: 2 * opts.timeouts.totalTimeoutMs + opts.timeouts.connectTimeoutMs + 5_000,
  });

  const processJob =
    (lane: MailLane): Processor<"mail.process"> =>
    async (data, job, token) => {
      try {
        const { outcomes } = await processMailRange(
          {
            processMail: processLimited,
            retry: mailRetries,
            log: opts.log,
            concurrency: opts.mailConcurrency,
          },
          data,
        );
        const idle = outcomes.filter((o) => o.kind !== "processed");
        if (idle.length > 0) {
          opts.log.debug(
            { mailboxId: data.mailboxId, folder: data.folder, outcomes: idle.map((o) => o.kind) },
            "nothing to deliver",
          );
        }
      } catch (err) {
        // A full session budget is no failure: forwarded to the worker holding the sessions, or deferred.
        if (await sessions?.routing.onBudgetFull(err, lane, job, token)) return;
        // Refused credentials will not be fixed by retrying this job soon; the watcher reports them.
        if (isAuthFailure(err)) throw new UnrecoverableError("IMAP authentication failed");
        if (refusedForGood(err)) throw new UnrecoverableError((err as Error).message);
        throw err;
      }
    };
  const mailWorker = createConsumer(
    "mail.process",
    { connection, prefix: opts.prefix, concurrency: opts.mailConcurrency, ...lock },
    processJob("shared"),
  );
  const ownWorker = sessions?.consume(processJob) ?? null; // jobs routed here (this worker holds their sessions)
  const deliveryWorker = createConsumer(
    "webhook.deliver",
    { connection, prefix: opts.prefix, concurrency: opts.deliveryConcurrency, ...lock },
    async (data, job, token) => {
      const outcome = await deliverOnce(data, Math.max(0, job.attemptsStarted - 1));
      if (outcome.kind === "retry" || outcome.kind === "postponed") {
        // Delayed, not waited for: the worker slot goes to another endpoint's delivery at once.
        await job.moveToDelayed(Date.now() + outcome.delayMs, token);
        throw new DelayedError();
      }
    },
  );
  // An unexpected error (Redis down, a bug) on every BullMQ attempt leaves no job behind: the
  // delivery is dead-lettered with the error, visible and replayable, instead of pending forever.
  deliveryWorker.on("failed", (job, err) => {
    const final =
      job && (job.attemptsMade >= (job.opts.attempts ?? 1) || /stalled more than/.test(err.message));
    if (!job || !final) return;
    const id = (job.data as { deliveryId?: string }).deliveryId;
    if (!id) return;
    void opts.store
      .getDelivery(id)
      .then((rec) =>
        rec?.status === "pending"
          ? opts.store.recordAttempt(
              id,
              null,
              "dead",
              `worker error after ${job.attemptsMade} tries: ${err.message}`,
            )
          : null,
      )
      .catch((e: unknown) =>
        opts.log.error({ deliveryId: id, err: String(e) }, "could not dead-letter a failed delivery job"),
      );
  });
  const act = createMailActor({
    store: opts.store,
    pool,
    log: opts.log,
    createFolders: opts.createFolders ?? false,
  });
  const actWorker = createConsumer(
    "mail.act",
    { connection, prefix: opts.prefix, concurrency: opts.actConcurrency ?? 8, ...lock },
    async (data, job, token) => {
      try {
        await act(data, job.id ?? "");
      } catch (err) {
        await deferForBudget(err, job, token);
        if (err instanceof MailActError && !err.retryable) throw new UnrecoverableError(err.message);
        if (isAuthFailure(err)) throw new UnrecoverableError("IMAP authentication failed");
        if (refusedForGood(err)) throw new UnrecoverableError((err as Error).message);
        throw err;
      }
    },
  );
  // Ack-then-act actions that failed for good say so on the delivery records that waited for them.
  actWorker.on("failed", (job, err) => {
    const final = job && (job.attemptsMade >= (job.opts.attempts ?? 1) || err.name === "UnrecoverableError");
    if (!job?.id || !final) return;
    const after = (job.data as { after?: string[] }).after ?? [];
    const jobId = job.id;
    void Promise.all(
      after.map((id) =>
        opts.store.setFollowUpState(id, jobId, "failed", `IMAP actions failed: ${err.message}`),
      ),
    ).catch((e: unknown) => opts.log.error({ jobId, err: String(e) }, "could not record a failed action"));
  });
  for (const [name, w] of [
    ["mail.process", mailWorker],
    ...(sessions && ownWorker ? ([[sessions.routing.queueName, ownWorker]] as const) : []),
    ["webhook.deliver", deliveryWorker],
    ["mail.act", actWorker],
  ] as const) {
    w.on("failed", (job, err) =>
      opts.log.warn(
        { queue: name, jobId: job?.id, attempts: job?.attemptsMade, err: err.message },
        "job failed",
      ),
    );
    w.on("error", (err) => opts.log.error({ queue: name, err: err.message }, "worker error"));
  }
  await Promise.all([
    mailWorker.waitUntilReady(),
    deliveryWorker.waitUntilReady(),
    actWorker.waitUntilReady(),
  ]);
  await sessions?.start();
  // Always, even with inline attempts off here: another replica may have died mid-attempt.
  void inline.startSweeping();
  opts.log.info(
    { mailConcurrency: opts.mailConcurrency, deliveryConcurrency: opts.deliveryConcurrency },
    "worker started",
  );

  return {
    /** First attempts made inline vs. handed to the queue because too many were in flight. */
    inlineStats: () => inline.stats(),
    async stop(): Promise<void> {
      // close() waits for in-flight jobs: nothing half-done is left to the stalled-job checker.
      await mailWorker.close();
      // What was routed here and did not run yet goes back to the shared queue.
      await sessions?.stopRouting();
      // First attempts started by the last mail.process jobs finish (or leave their safety job).
      await inline.drain();
      await Promise.all([deliveryWorker.close(), actWorker.close()]);
      await Promise.all([deliveries.close(), actions.close(), mailRetries.close()]);
      await config.close();
      await counters.close();
      await pool.close();
      await sessions?.close();
      await rulePool.close();
      opts.log.info({}, "worker stopped");
    },
  };
}
export type WorkerService = Awaited<ReturnType<typeof startWorkerService>>;

/** The outbound policy refused the IMAP server (not a DNS failure, which may heal): no retry. */
function refusedForGood(err: unknown): boolean {
  return err instanceof DestinationRefused && err.code !== "DESTINATION_UNRESOLVABLE";
}
