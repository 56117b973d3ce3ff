import type { Producer } from "@mailhook/queue";
import type { DeliveryRecord, Store } from "@mailhook/store";

export interface ReplayDeps {
  store: Store;
  deliveries: Producer<"webhook.deliver">;
}

export type ReplayResult =
  | { ok: true; record: DeliveryRecord }
  | { ok: false; code: "not-found" | "not-replayable" | "endpoint-disabled"; message: string };

/**
 * Sends a failed or dead-lettered delivery again: same `webhook-id`, same body bytes (receivers
 * deduplicate on the id), a fresh timestamp and signature, and a fresh retry schedule. The earlier
 * attempts stay in the record. Ack-then-act actions that were skipped because this delivery died run
 * once it (and every other webhook of the rule) is delivered.
 *
 * A delivery of another tenant is reported as not found. An endpoint disabled by a 410 must be
 * re-enabled first; replaying into it would only fail again.
 *
 * @example
 * const r = await replayDelivery({ store, deliveries }, "default", "msg_3kV0…");
 * if (!r.ok) return c.json({ error: { code: r.code, message: r.message } }, 409);
 */
export async function replayDelivery(
  deps: ReplayDeps,
  tenantId: string,
  deliveryId: string,
): Promise<ReplayResult> {
  const rec = await deps.store.getDelivery(deliveryId);
  if (!rec || rec.tenantId !== tenantId) {
    return { ok: false, code: "not-found", message: `no delivery ${deliveryId}` };
  }
  if (rec.status !== "dead" && rec.status !== "failed") {
    return { ok: false, code: "not-replayable", message: `delivery ${deliveryId} is ${rec.status}` };
  }
  if (rec.stage === "fetch") {
    return {
      ok: false,
      code: "not-replayable",
      message: `delivery ${deliveryId} has no payload: the message could not be fetched (${rec.lastError ?? "unknown error"}); mailhook retries the fetch itself`,
    };
  }
  const endpoint = await deps.store.getEndpoint(tenantId, rec.endpointId);
  if (!endpoint) return { ok: false, code: "not-found", message: `endpoint ${rec.endpointId} was deleted` };
  if (!endpoint.enabled) {
    return {
      ok: false,
      code: "endpoint-disabled",
      message: `endpoint ${rec.endpointId} is disabled${endpoint.disabledReason ? ` (${endpoint.disabledReason})` : ""}: enable it first`,
    };
  }
  const begun = await deps.store.beginReplay(deliveryId);
  if (!begun) return { ok: false, code: "not-found", message: `no delivery ${deliveryId}` };
  if (!begun.replayed) {
    return { ok: false, code: "not-replayable", message: `delivery ${deliveryId} is ${begun.record.status}` };
  }
  // The original job id may still be held by BullMQ (completed jobs are kept a day): each replay
  // gets its own job id.
  await deps.deliveries.add(`${deliveryId}~r${begun.record.replays ?? 1}`, { tenantId, deliveryId });
  return { ok: true, record: begun.record };
}

export interface ReplayManyResult {
  replayed: string[];
  /** Deliveries listed as dead that could not be replayed, with the reason. */
  skipped: { id: string; reason: string }[];
}

/**
 * Replays every failed and dead-lettered delivery of one endpoint (the records still retained),
 * oldest first so receivers see them in the order they were due.
 */
export async function replayDeadDeliveries(
  deps: ReplayDeps,
  tenantId: string,
  endpointId: string,
  opts: { limit?: number } = {},
): Promise<ReplayManyResult> {
  const ids = (await deps.store.listDeadDeliveries(tenantId, endpointId, opts.limit ?? 1000)).reverse();
  const out: ReplayManyResult = { replayed: [], skipped: [] };
  for (const id of ids) {
    const r = await replayDelivery(deps, tenantId, id);
    if (r.ok) out.replayed.push(id);
    else {
      out.skipped.push({ id, reason: r.message });
      // A disabled endpoint refuses every one of them the same way.
      if (r.code === "endpoint-disabled") break;
    }
  }
  return out;
}
