import type { Logger } from "@mailhook/log";
import type { Producer, WebhookDeliverJob } from "@mailhook/queue";
import type { DeliverOutcome } from "./webhook-deliver.js";

export interface InlineDeliveryDeps {
  deliverOnce: (job: WebhookDeliverJob) => Promise<DeliverOutcome>;
  deliveries: Producer<"webhook.deliver">;
  log: Logger;
  /** First attempts running in this process at once; beyond it deliveries go through the queue. */
  maxInFlight: number;
  /**
   * First attempts to one endpoint at once in this process. Kept below the endpoint gate's slots:
   * an inline attempt that finds no slot is postponed, and the re-queueing costs more than queueing
   * it in the first place (measured: a burst to one endpoint got slower, not faster, without it).
   */
  maxPerEndpoint: number;
  /**
   * Delay of the safety-net job added before each inline attempt: if this process dies mid-attempt,
   * the job makes the attempt instead. Must exceed the longest attempt (slot wait + timeouts).
   */
  safetyDelayMs: number;
}

/**
 * First delivery attempts straight from `mail.process`, without a trip through the delivery queue.
 * A delivery job costs ~40 Redis commands and a worker hand-over on the latency path; most first
 * attempts succeed, so each is made here and its job exists only as a delayed safety net that is
 * removed when the attempt has an outcome. A retry or postponement re-adds the job due when the
 * schedule says; if the attempt throws, the safety job is promoted and runs now.
 *
 * Not awaited by `mail.process`: a slow endpoint never holds a mail slot. `drain()` waits for the
 * attempts in flight (SIGTERM).
 */
export function createInlineDelivery(deps: InlineDeliveryDeps) {
  const inFlight = new Set<Promise<void>>();
  const perEndpoint = new Map<string, number>();
  const stats = { inline: 0, queued: 0 };

  async function attempt(data: WebhookDeliverJob): Promise<void> {
    const id = data.deliveryId;
    try {
      const outcome = await deps.deliverOnce(data);
      const removed = await deps.deliveries.remove(id);
      // A safety job that already started owns the delivery now; it finds the record settled.
      if (removed && (outcome.kind === "retry" || outcome.kind === "postponed")) {
        await deps.deliveries.add(id, data, { delay: Math.max(1, outcome.delayMs) });
      }
    } catch (err) {
      deps.log.warn({ deliveryId: id, err: String(err) }, "inline delivery attempt failed; queued");
      const job = await deps.deliveries.queue.getJob(id).catch(() => undefined);
      await job?.promote().catch(() => {});
    }
  }

  return {
    stats: () => ({ ...stats, inFlight: inFlight.size }),
    /** Starts the first attempt of a new delivery; resolves once it is safe (job recorded). */
    async start(tenantId: string, deliveryId: string, endpointId: string): Promise<void> {
      const data = { tenantId, deliveryId };
      const key = `${tenantId}/${endpointId}`;
      const busy = perEndpoint.get(key) ?? 0;
      if (inFlight.size >= deps.maxInFlight || busy >= deps.maxPerEndpoint) {
        stats.queued++;
        await deps.deliveries.add(deliveryId, data);
        return;
      }
      await deps.deliveries.add(deliveryId, data, { delay: deps.safetyDelayMs });
      stats.inline++;
      perEndpoint.set(key, busy + 1);
      const p: Promise<void> = attempt(data).finally(() => {
        inFlight.delete(p);
        const n = (perEndpoint.get(key) ?? 1) - 1;
        if (n <= 0) perEndpoint.delete(key);
        else perEndpoint.set(key, n);
      });
      inFlight.add(p);
    },
    async drain(): Promise<void> {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
export type InlineDelivery = ReturnType<typeof createInlineDelivery>;
