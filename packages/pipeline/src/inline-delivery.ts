import type { Logger } from "@mailhook/log";
import type { Producer, WebhookDeliverJob } from "@mailhook/queue";
import type { DeliveryRecord, InlinePending } from "@mailhook/store";
import type { DeliverOutcome } from "./webhook-deliver.js";

export interface InlineDeliveryDeps {
  /** `record`: the delivery as its creator (this process) just wrote it, to skip reading it back. */
  deliverOnce: (job: WebhookDeliverJob, record?: DeliveryRecord) => Promise<DeliverOutcome>;
  deliveries: Producer<"webhook.deliver">;
  /** The safety net: attempts without a recorded outcome, shared by all workers (Redis). */
  pending: InlinePending;
  log: Logger;
  /** First attempts running in this process at once; a new delivery beyond it goes to the queue. */
  maxInFlight: number;
  /** First attempts to one endpoint at once in this process (at most the endpoint gate's slots). */
  maxPerEndpoint: number;
  /**
   * Deliveries waiting in this process for a free attempt (all endpoints together); beyond it a
   * new delivery goes through the delivery queue. Bounds memory, and how much a crash hands back
   * to the safety net at once.
   */
  maxWaiting: number;
  /** A delivery that waited this long in this process goes to the delivery queue instead. */
  maxWaitMs: number;
  /**
   * How long one attempt may take (slot wait + timeouts): with `maxWaitMs` it sets the deadline of
   * the safety-net entry, after which any worker's sweep hands the delivery to the queue.
   */
  safetyDelayMs: number;
  /** How often this process sweeps overdue entries (default 5 s; also once at start). */
  sweepEveryMs?: number;
  now?: () => number;
}

const SWEEP_BATCH = 500;

interface Waiting {
  data: WebhookDeliverJob;
  since: number;
  record: DeliveryRecord | undefined;
}

/**
 * First delivery attempts straight from `mail.process`, without a trip through the delivery queue.
 * A delivery job costs ~40 Redis commands and a worker hand-over on the latency path; most first
 * attempts succeed, so each is made here and recorded only in the pending set (one ZADD before,
 * one ZREM after). Deliveries to an endpoint at its limit wait in this process, first in first
 * out, up to `maxWaitMs` (then, or past `maxWaiting`, they go through the queue). A retry or
 * postponement becomes a delayed job due when the schedule says; an attempt that throws is queued
 * at once.
 *
 * Crash safety: a worker killed with attempts in flight or waiting leaves their entries in the
 * pending set; once an entry's deadline passes, any worker's sweep (at start and every few seconds)
 * enqueues the delivery job, which makes the attempt with the same `webhook-id`.
 *
 * Not awaited by `mail.process`: a slow endpoint never holds a mail slot. `drain()` hands waiting
 * deliveries to the queue and waits for the attempts in flight (SIGTERM).
 */
export function createInlineDelivery(deps: InlineDeliveryDeps) {
  const inFlight = new Set<Promise<void>>();
  const active = new Map<string, number>();
  const lines = new Map<string, Waiting[]>();
  let waitingCount = 0;
  let draining = false;
  const stats = { inline: 0, queued: 0, swept: 0 };
  const now = deps.now ?? Date.now;

  async function toQueue(data: WebhookDeliverJob, delayMs = 0): Promise<void> {
    // The job goes in before the entry goes out: a crash in between leaves an entry whose sweep
    // finds the job already there (same id, BullMQ adds nothing).
    await deps.deliveries.add(data.deliveryId, data, delayMs > 0 ? { delay: delayMs } : undefined);
    await deps.pending.remove(data);
  }

  async function attempt(data: WebhookDeliverJob, record: DeliveryRecord | undefined): Promise<void> {
    try {
      const outcome = await deps.deliverOnce(data, record);
      if (outcome.kind === "retry" || outcome.kind === "postponed")
        await toQueue(data, Math.max(1, outcome.delayMs));
      else await deps.pending.remove(data);
    } catch (err) {
      deps.log.warn(
        { deliveryId: data.deliveryId, err: String(err) },
        "inline delivery attempt failed; queued",
      );
      // Redis away: the entry stays and the sweep queues the delivery once it is back.
      await toQueue(data).catch(() => {});
    }
  }

  function launch(key: string, data: WebhookDeliverJob, record: DeliveryRecord | undefined): void {
    stats.inline++;
    active.set(key, (active.get(key) ?? 0) + 1);
    const p: Promise<void> = attempt(data, record).finally(() => {
      inFlight.delete(p);
      const n = (active.get(key) ?? 1) - 1;
      if (n <= 0) active.delete(key);
      else active.set(key, n);
      pump();
    });
    inFlight.add(p);
  }

  /** Starts waiting deliveries while there is room, endpoint by endpoint; hands stale ones to the queue. */
  function pump(): void {
    if (draining) return;
    for (const [key, line] of lines) {
      while (
        line.length > 0 &&
        inFlight.size < deps.maxInFlight &&
        (active.get(key) ?? 0) < deps.maxPerEndpoint
      ) {
        const next = line.shift()!;
        waitingCount--;
        launch(key, next.data, next.record);
      }
      const cutoff = now() - deps.maxWaitMs;
      while (line.length > 0 && line[0]!.since < cutoff) {
        const stale = line.shift()!;
        waitingCount--;
        stats.queued++;
        toQueue(stale.data).catch((err: unknown) =>
          deps.log.warn(
            { deliveryId: stale.data.deliveryId, err: String(err) },
            "could not queue a waiting delivery",
          ),
        );
      }
      if (line.length === 0) lines.delete(key);
    }
  }

  /** Hands overdue entries (their worker died mid-attempt) to the delivery queue. */
  async function sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const due = await deps.pending.overdue(now(), SWEEP_BATCH);
      for (const entry of due) await toQueue(entry);
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
  const tick = () => {
    pump();
    // Never two sweeps at once in one process (a slow Redis must not stack them up).
    sweeping ??= sweep()
      .catch((err: unknown) => deps.log.warn({ err: String(err) }, "inline safety-net sweep failed"))
      .finally(() => {
        sweeping = undefined;
      });
    return sweeping;
  };

  return {
    stats: () => ({ ...stats, inFlight: inFlight.size, waiting: waitingCount }),
    /** Sweeps once now, then every `sweepEveryMs` (which also moves stale waiting deliveries on). */
    startSweeping(): Promise<unknown> {
      timer ??= setInterval(tick, deps.sweepEveryMs ?? 5_000);
      timer.unref();
      return tick();
    },
    sweep,
    /**
     * Takes on the first attempt of a new delivery; resolves once it is safe (entry recorded).
     * `record`: the pending record as the caller just created it (only the deliverer writes a
     * pending record, so the attempt need not read it back).
     */
    async start(
      tenantId: string,
      deliveryId: string,
      endpointId: string,
      record?: DeliveryRecord,
    ): Promise<void> {
      const data = { tenantId, deliveryId };
      // Only a busy endpoint makes a delivery wait here; a process at its overall limit hands new
      // deliveries to the queue at once, so endpoints that hang cannot hold up the others.
      if (draining || waitingCount >= deps.maxWaiting || inFlight.size >= deps.maxInFlight) {
        stats.queued++;
        await deps.deliveries.add(deliveryId, data);
        return;
      }
      const at = now();
      await deps.pending.add(data, at + deps.maxWaitMs + deps.safetyDelayMs);
      const key = `${tenantId}/${endpointId}`;
      const line = lines.get(key) ?? [];
      lines.set(key, line);
      line.push({ data, since: at, record });
      waitingCount++;
      pump();
    },
    async drain(): Promise<void> {
      draining = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      const left = [...lines.values()].flat();
      lines.clear();
      waitingCount = 0;
      // Queued now rather than left to the sweep: another worker takes them at once.
      await Promise.all(left.map((w) => toQueue(w.data).catch(() => {})));
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      await sweeping;
    },
  };
}
export type InlineDelivery = ReturnType<typeof createInlineDelivery>;
