import type { Logger } from "@mailhook/log";
import type { Producer, WebhookDeliverJob } from "@mailhook/queue";
import type { InlinePending } from "@mailhook/store";
import type { DeliverOutcome } from "./webhook-deliver.js";

export interface InlineDeliveryDeps {
  deliverOnce: (job: WebhookDeliverJob) => Promise<DeliverOutcome>;
  deliveries: Producer<"webhook.deliver">;
  /** The safety net: attempts without a recorded outcome, shared by all workers (Redis). */
  pending: InlinePending;
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
   * How long an attempt may take before the safety net hands its delivery to the queue: if this
   * process dies mid-attempt, another worker's sweep finds the entry after this long. Must exceed
   * the longest attempt (slot wait + timeouts).
   */
  safetyDelayMs: number;
  /** How often this process sweeps overdue entries (default 5 s; also once at start). */
  sweepEveryMs?: number;
  now?: () => number;
}

const SWEEP_BATCH = 500;

/**
 * First delivery attempts straight from `mail.process`, without a trip through the delivery queue.
 * A delivery job costs ~40 Redis commands and a worker hand-over on the latency path; most first
 * attempts succeed, so each is made here and is recorded only in the pending set (one ZADD before,
 * one ZREM after). A retry or postponement becomes a delayed job due when the schedule says; an
 * attempt that throws is queued at once.
 *
 * Crash safety: a worker killed mid-attempt leaves its entry in the pending set; once the entry's
 * deadline passes, any worker's sweep (at start and every few seconds) enqueues the delivery job,
 * which makes the attempt with the same `webhook-id` (the record says it is still pending).
 *
 * Not awaited by `mail.process`: a slow endpoint never holds a mail slot. `drain()` waits for the
 * attempts in flight (SIGTERM).
 */
export function createInlineDelivery(deps: InlineDeliveryDeps) {
  const inFlight = new Set<Promise<void>>();
  const perEndpoint = new Map<string, number>();
  const stats = { inline: 0, queued: 0, swept: 0 };
  const now = deps.now ?? Date.now;

  async function attempt(data: WebhookDeliverJob): Promise<void> {
    const id = data.deliveryId;
    try {
      const outcome = await deps.deliverOnce(data);
      // The job goes in before the entry goes out: a crash in between leaves an entry whose sweep
      // finds the job already there (same id, BullMQ adds nothing).
      if (outcome.kind === "retry" || outcome.kind === "postponed") {
        await deps.deliveries.add(id, data, { delay: Math.max(1, outcome.delayMs) });
      }
      await deps.pending.remove(data);
    } catch (err) {
      deps.log.warn({ deliveryId: id, err: String(err) }, "inline delivery attempt failed; queued");
      try {
        await deps.deliveries.add(id, data);
        await deps.pending.remove(data);
      } catch {
        // Redis away: the entry stays and the sweep queues the delivery once it is back.
      }
    }
  }

  /** Hands overdue entries (their worker died mid-attempt) to the delivery queue. */
  async function sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const due = await deps.pending.overdue(now(), SWEEP_BATCH);
      for (const entry of due) {
        await deps.deliveries.add(entry.deliveryId, entry);
        await deps.pending.remove(entry);
      }
      total += due.length;
      if (due.length < SWEEP_BATCH) break;
    }
    if (total > 0) {
      stats.swept += total;
      deps.log.info({ count: total }, "first attempts of a stopped worker handed to the delivery queue");
    }
    return total;
  }

  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<unknown> | undefined;
  const runSweep = () => {
    // Never two sweeps at once in one process (a slow Redis must not stack them up).
    sweeping ??= sweep()
      .catch((err: unknown) => deps.log.warn({ err: String(err) }, "inline safety-net sweep failed"))
      .finally(() => {
        sweeping = undefined;
      });
    return sweeping;
  };

  return {
    stats: () => ({ ...stats, inFlight: inFlight.size }),
    /** Sweeps once now, then every `sweepEveryMs`. */
    startSweeping(): Promise<unknown> {
      timer ??= setInterval(runSweep, deps.sweepEveryMs ?? 5_000);
      timer.unref();
      return runSweep();
    },
    sweep,
    /** Starts the first attempt of a new delivery; resolves once it is safe (entry recorded). */
    async start(tenantId: string, deliveryId: string, endpointId: string): Promise<void> {
      const data = { tenantId, deliveryId };
      const key = `${tenantId}/${endpointId}`;
      const busy = perEndpoint.get(key) ?? 0;
      if (inFlight.size >= deps.maxInFlight || busy >= deps.maxPerEndpoint) {
        stats.queued++;
        await deps.deliveries.add(deliveryId, data);
        return;
      }
      await deps.pending.add(data, now() + deps.safetyDelayMs);
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
      if (timer) clearInterval(timer);
      timer = undefined;
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      await sweeping;
    },
  };
}
export type InlineDelivery = ReturnType<typeof createInlineDelivery>;
