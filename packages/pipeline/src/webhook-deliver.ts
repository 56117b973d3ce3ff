import type { Logger } from "@mailhook/log";
import type { WebhookDeliverJob } from "@mailhook/queue";
import type { DeliveryAttempt, Store } from "@mailhook/store";
import {
  checkDestination,
  classifyAttempt,
  DEFAULT_RETRY_SCHEDULE_MS,
  type DeliveryAgents,
  deliver,
  retryDelay,
  webhookHeaders,
} from "@mailhook/webhook";

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
  /** Allow-list for internal destinations (CIDRs or host names); everything private is refused otherwise. */
  allow: string[];
  schedule?: number[];
  timeouts?: DeliveryTimeouts;
  agents?: DeliveryAgents;
  /** Observes every successful delivery's end-to-end latency (ms from the watcher seeing the UID). */
  onDelivered?: (latencyMs: number) => void;
}

export type DeliverOutcome =
  | { kind: "skipped"; reason: string }
  | { kind: "delivered"; attempt: DeliveryAttempt }
  | { kind: "failed"; reason: string }
  | { kind: "retry"; delayMs: number; reason: string }
  | { kind: "dead"; reason: string };

/**
 * `webhook.deliver`: one attempt of one delivery. The body was fixed when the delivery was created,
 * so every retry sends the same bytes under the same `webhook-id`; only the timestamp and signature
 * are fresh. The caller turns `retry` into a delayed job (mailhook's own schedule, Retry-After aware).
 */
export function createWebhookDeliverer(deps: WebhookDeliverDeps) {
  const schedule = deps.schedule ?? DEFAULT_RETRY_SCHEDULE_MS;
  const timeouts = deps.timeouts ?? DEFAULT_DELIVERY_TIMEOUTS;

  return async function deliverOnce(job: WebhookDeliverJob): Promise<DeliverOutcome> {
    const { store } = deps;
    const rec = await store.getDelivery(job.deliveryId);
    if (!rec) return { kind: "skipped", reason: "delivery record not found (expired?)" };
    if (rec.status !== "pending") return { kind: "skipped", reason: `already ${rec.status}` };
    const log = deps.log.child({ deliveryId: rec.id, endpointId: rec.endpointId });

    const endpoint = await store.getEndpoint(rec.tenantId, rec.endpointId);
    if (!endpoint) return fail(null, "endpoint deleted");
    if (!endpoint.enabled)
      return fail(null, `endpoint disabled${endpoint.disabledReason ? `: ${endpoint.disabledReason}` : ""}`);

    const dest = await checkDestination(endpoint.url, { allow: deps.allow });
    if (!dest.ok) {
      const attempt = noResponse(`destination refused: ${dest.reason}`);
      if (!dest.retryable) return fail(attempt, attempt.error!);
      return retryOrDie(attempt);
    }

    const headers = webhookHeaders({
      id: rec.id,
      timestamp: Math.floor(Date.now() / 1000),
      body: rec.body,
      secrets: endpoint.secrets,
      extra: endpoint.headers,
    });
    const attempt = await deliver({
      url: dest.url,
      address: dest.address,
      family: dest.family,
      headers,
      body: rec.body,
      ...timeouts,
      ...(deps.agents ? { agents: deps.agents } : {}),
    });
    switch (classifyAttempt(attempt)) {
      case "delivered":
        await store.recordAttempt(rec.id, attempt, "delivered", null);
        deps.onDelivered?.(Date.now() - rec.seenAt);
        log.info(
          {
            status: attempt.status,
            latencyMs: Math.round(attempt.latencyMs),
            attempts: rec.attempts.length + 1,
          },
          "delivered",
        );
        return { kind: "delivered", attempt };
      case "gone":
        await store.disableEndpoint(rec.tenantId, rec.endpointId, "receiver answered 410 Gone");
        log.warn({}, "endpoint answered 410 Gone; disabled");
        return fail(attempt, "410 Gone: endpoint disabled");
      case "failed":
        return fail(attempt, attempt.error ?? `HTTP ${attempt.status}`);
      case "retry":
        return retryOrDie(attempt);
    }

    async function fail(a: DeliveryAttempt | null, reason: string): Promise<DeliverOutcome> {
      await store.recordAttempt(rec!.id, a, "failed", reason);
      log.warn({ reason }, "delivery failed permanently");
      return { kind: "failed", reason };
    }

    async function retryOrDie(a: DeliveryAttempt): Promise<DeliverOutcome> {
      const reason = a.error ?? `HTTP ${a.status}`;
      const delayMs = retryDelay(rec!.attempts.length + 1, schedule, a.retryAfterMs);
      if (delayMs === null) {
        await store.recordAttempt(
          rec!.id,
          a,
          "dead",
          `gave up after ${rec!.attempts.length + 1} attempts: ${reason}`,
        );
        log.warn({ reason }, "delivery dead-lettered");
        return { kind: "dead", reason };
      }
      await store.recordAttempt(rec!.id, a, "pending", reason);
      log.info({ reason, delayMs }, "delivery will be retried");
      return { kind: "retry", delayMs, reason };
    }
  };
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
