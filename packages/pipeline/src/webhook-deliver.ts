import type { Logger } from "@mailhook/log";
import type { OutboundPolicy, UrlVerdict } from "@mailhook/net";
import type { Producer, WebhookDeliverJob } from "@mailhook/queue";
import {
  type DeliveryAttempt,
  type DeliveryRecord,
  type EndpointGate,
  type GateVerdict,
  type Store,
  signingSecrets,
} from "@mailhook/store";
import {
  type AttemptClass,
  classifyAttempt,
  DEFAULT_RETRY_SCHEDULE_MS,
  type DeliveryAgents,
  deliver,
  retryDelay,
  webhookHeaders,
} from "@mailhook/webhook";
import { settleFollowUps } from "./follow-ups.js";
import { createEndpointCache, type EndpointCache } from "./record-cache.js";

export interface DeliveryTimeouts {
  connectTimeoutMs: number;
  totalTimeoutMs: number;
  maxResponseBytes: number;
}

export const DEFAULT_DELIVERY_TIMEOUTS: DeliveryTimeouts = {
  connectTimeoutMs: 5_000,
  totalTimeoutMs: 15_000,
  maxResponseBytes: 4_096,
};

export interface WebhookDeliverDeps {
  store: Store;
  log: Logger;
  /** Resolves and checks every endpoint URL right before each attempt (WEBHOOK_ALLOW, the tenant's list). */
  outbound: OutboundPolicy;
  schedule?: number[];
  timeouts?: DeliveryTimeouts;
  agents?: DeliveryAgents;
  /**
   * Per-endpoint concurrency limit and circuit breaker, shared by all replicas through Redis.
   * Without it every attempt goes out at once (fine for a single endpoint, not for isolation).
   */
  gate?: EndpointGate;
  /** Enqueues ack-then-act IMAP actions once every webhook of their rule was delivered. */
  actions?: Producer<"mail.act">;
  /** Observes every successful delivery's end-to-end latency (ms from the watcher seeing the UID). */
  onDelivered?: (latencyMs: number) => void;
  random?: () => number;
  /**
   * Without `endpoints`: endpoints are read from the store at most this often per endpoint (default
   * 1 s): reading and unsealing one per delivery is a large part of the per-delivery cost at high
   * rates.
   */
  endpointCacheMs?: number;
  /**
   * The endpoint cache to use (the worker's, shared with mail.process and dropped by change
   * notices: createConfigCaches); one of its own by default.
   */
  endpoints?: EndpointCache;
}

export type DeliverOutcome =
  | { kind: "skipped"; reason: string }
  | { kind: "delivered"; attempt: DeliveryAttempt }
  | { kind: "failed"; reason: string }
  | { kind: "retry"; delayMs: number; reason: string }
  /** Not attempted: the endpoint is saturated or its circuit is open. No attempt is recorded. */
  | { kind: "postponed"; delayMs: number; reason: string }
  | { kind: "dead"; reason: string };

/** How long an attempt waits in the worker for a slot of a busy endpoint before it is postponed. */
const SLOT_WAIT_MS = 250;
/** Shortest postponement for a saturated endpoint; doubled per postponement of the same job. */
const BUSY_WAIT_MS = 200;
const MAX_BUSY_WAIT_MS = 5_000;

/**
 * `webhook.deliver`: one attempt of one delivery. The body was fixed when the delivery was created,
 * so every retry sends the same bytes under the same `webhook-id`; only the timestamp and signature
 * are fresh. The caller turns `retry` and `postponed` into a delayed job (mailhook's own schedule,
 * Retry-After aware), which frees the worker for other endpoints at once.
 */
export function createWebhookDeliverer(deps: WebhookDeliverDeps) {
  const schedule = deps.schedule ?? DEFAULT_RETRY_SCHEDULE_MS;
  const timeouts = deps.timeouts ?? DEFAULT_DELIVERY_TIMEOUTS;
  const random = deps.random ?? Math.random;
  // Every attempt asks the policy again: DNS may have moved the name since the last one, and the
  // operator may have changed the tenant's allow-list.
  const destinationOf = (url: string, tenantId: string): Promise<UrlVerdict> =>
    deps.outbound.checkUrl(url, { tenantId });
  const endpoints = deps.endpoints ?? createEndpointCache(deps.store, deps.endpointCacheMs ?? 1_000);

  // A delivery held back by an open circuit for longer than the whole schedule is dead-lettered:
  // it would have used up its attempts by then had each of them been made.
  const giveUpAfterMs = schedule.reduce((a, b) => a + b, 0) * 1.2 + timeouts.totalTimeoutMs;

  /**
   * @param postponements how often this job was already postponed by the gate (scales the wait).
   * @param created the pending record as this process just created it: saves reading it back (GET,
   *   JSON and schema parse). Only the deliverer writes a pending record, so it is what is stored.
   */
  async function deliverOnce(
    job: WebhookDeliverJob,
    postponements = 0,
    created?: DeliveryRecord,
  ): Promise<DeliverOutcome> {
    const { store } = deps;
    const rec = created?.id === job.deliveryId ? created : await store.getDelivery(job.deliveryId);
    if (!rec) return { kind: "skipped", reason: "delivery record not found (expired?)" };
    if (rec.status !== "pending") {
      // A worker that died between recording the outcome and enqueuing the follow-ups left them
      // undone; the job's retry finishes them (enqueuing is idempotent by job id).
      if (rec.followUps?.length) await settleFollowUps(followDeps(), rec);
      return { kind: "skipped", reason: `already ${rec.status}` };
    }
    const log = deps.log.child({ deliveryId: rec.id, endpointId: rec.endpointId });
    const made = rec.attempts.length - (rec.attemptOffset ?? 0);

    const endpoint = await endpoints.get(rec.tenantId, rec.endpointId);
    if (!endpoint) return fail(null, "endpoint deleted");
    if (!endpoint.enabled)
      return fail(null, `endpoint disabled${endpoint.disabledReason ? `: ${endpoint.disabledReason}` : ""}`);

    const dest = await destinationOf(endpoint.url, rec.tenantId);
    if (!dest.ok) {
      // The record is the tenant's to read: it gets the policy's tenant-safe words, the log the detail.
      log.warn({ reason: dest.reason, code: dest.code }, "destination refused");
      const attempt = noResponse(dest.message);
      if (!dest.retryable) return fail(attempt, attempt.error!);
      return retryOrDie(attempt);
    }

    let token: string | null = null;
    if (deps.gate) {
      const entry = await deps.gate.enter(rec.tenantId, rec.endpointId, { waitMs: SLOT_WAIT_MS });
      if (!entry.ok) return postpone(entry.why, entry.until, entry.congested === true);
      token = entry.token;
      if (entry.probe) log.info({}, "circuit half-open: probing the endpoint");
    }

    let attempt: DeliveryAttempt;
    let cls: AttemptClass;
    try {
      const headers = webhookHeaders({
        id: rec.id,
        timestamp: Math.floor(Date.now() / 1000),
        body: rec.body,
        secrets: signingSecrets(endpoint),
        extra: endpoint.headers,
      });
      attempt = await deliver({
        url: dest.url,
        address: dest.address,
        family: dest.family,
        headers,
        body: rec.body,
        ...timeouts,
        ...(deps.agents ? { agents: deps.agents } : {}),
        onError: (detail) => log.info({ detail, address: dest.address }, "webhook connection failed"),
      });
      cls = classifyAttempt(attempt);
    } catch (err) {
      // The attempt itself threw (no answer to judge): free the slot, let the job's retry decide.
      if (token) await leaveGate(token, "unknown");
      throw err;
    }

    // The outcome's record write and the slot's release start in the same tick: on the shared,
    // auto-pipelined connection they travel in one write and cost one round trip, not two. The
    // record is written whatever the release does (a release error is thrown after it), so a
    // Redis hiccup on the gate can no longer send an answered delivery out again.
    const [outcome, released] = await Promise.allSettled([
      settle(cls, attempt),
      token ? leaveGate(token, cls === "retry" ? "down" : "up") : Promise.resolve(),
    ]);
    if (outcome.status === "rejected") throw outcome.reason;
    if (released.status === "rejected") throw released.reason;
    return outcome.value;

    async function leaveGate(held: string, verdict: GateVerdict): Promise<void> {
      if (!deps.gate) return;
      const r = await deps.gate.leave(rec!.tenantId, rec!.endpointId, held, verdict);
      if (r.circuit === "opened")
        log.warn({ until: new Date(r.until).toISOString() }, "endpoint failing: circuit opened");
      else if (r.circuit === "closed") log.info({}, "endpoint answered again: circuit closed");
    }

    async function settle(c: AttemptClass, a: DeliveryAttempt): Promise<DeliverOutcome> {
      switch (c) {
        case "delivered": {
          const done = await store.recordAttempt(rec!.id, a, "delivered", null, rec!);
          deps.onDelivered?.(Date.now() - rec!.seenAt);
          log.info({ status: a.status, latencyMs: Math.round(a.latencyMs), attempts: made + 1 }, "delivered");
          if (done?.followUps?.length) await settleFollowUps(followDeps(), done);
          return { kind: "delivered", attempt: a };
        }
        case "gone":
          await store.disableEndpoint(rec!.tenantId, rec!.endpointId, "receiver answered 410 Gone");
          endpoints.forget(rec!.tenantId, rec!.endpointId);
          log.warn({}, "endpoint answered 410 Gone; disabled");
          return fail(a, "410 Gone: endpoint disabled");
        case "failed":
          return fail(a, a.error ?? `HTTP ${a.status}`);
        case "retry":
          return retryOrDie(a);
      }
    }

    async function fail(a: DeliveryAttempt | null, reason: string): Promise<DeliverOutcome> {
      const done = await store.recordAttempt(rec!.id, a, "failed", reason, rec!);
      log.warn({ reason }, "delivery failed permanently");
      if (done?.followUps?.length) await settleFollowUps(followDeps(), done);
      return { kind: "failed", reason };
    }

    async function die(a: DeliveryAttempt | null, reason: string): Promise<DeliverOutcome> {
      const done = await store.recordAttempt(rec!.id, a, "dead", reason, rec!);
      log.warn({ reason }, "delivery dead-lettered");
      if (done?.followUps?.length) await settleFollowUps(followDeps(), done);
      return { kind: "dead", reason };
    }

    async function retryOrDie(a: DeliveryAttempt): Promise<DeliverOutcome> {
      const reason = a.error ?? `HTTP ${a.status}`;
      const delayMs = retryDelay(made + 1, schedule, a.retryAfterMs, random);
      if (delayMs === null) return die(a, `gave up after ${made + 1} attempts: ${reason}`);
      await store.recordAttempt(rec!.id, a, "pending", reason, rec!);
      log.info({ reason, delayMs }, "delivery will be retried");
      return { kind: "retry", delayMs, reason };
    }

    async function postpone(
      why: "open" | "probing" | "busy",
      until: number,
      congested = false,
    ): Promise<DeliverOutcome> {
      const now = Date.now();
      if (why !== "busy" && now - Date.parse(rec!.createdAt) > giveUpAfterMs) {
        return die(null, `gave up: the endpoint's circuit stayed open past the retry window`);
      }
      const jitter = 0.5 + random() / 2;
      let delayMs: number;
      // Held deliveries come back spread over a few seconds after the circuit half-opens (one of
      // them probes), and look again every few seconds while the probe runs: thousands of them
      // waiting for a dead endpoint cost a few postponements each per open period, not a storm.
      if (why === "open") delayMs = Math.max(0, until - now) + Math.round(3_000 * random());
      else if (why === "probing")
        delayMs = Math.round(Math.min(Math.max(until - now, 0), 5_000) * jitter) + 50;
      // A hanging endpoint frees its slots only when its attempts time out: coming back sooner would
      // only cost the other endpoints' deliveries CPU.
      else if (congested) delayMs = Math.round(timeouts.totalTimeoutMs * jitter);
      else delayMs = Math.round(Math.min(BUSY_WAIT_MS * 2 ** postponements, MAX_BUSY_WAIT_MS) * jitter);
      const reason =
        why === "busy"
          ? "endpoint at its concurrency limit"
          : why === "open"
            ? "endpoint circuit open"
            : "endpoint circuit half-open: another attempt is probing";
      return { kind: "postponed", delayMs, reason };
    }
  }

  return deliverOnce;

  function followDeps() {
    return { store: deps.store, log: deps.log, ...(deps.actions ? { actions: deps.actions } : {}) };
  }
}

function noResponse(error: string): DeliveryAttempt {
  return {
    at: new Date().toISOString(),
    status: null,
    latencyMs: 0,
    error,
    responsePreview: "",
    retryAfterMs: null,
  };
}
