import type { OutboundPolicy, UrlVerdict } from "@mailhook/net";
import { type Endpoint, signingSecrets } from "@mailhook/store";
import {
  buildTestEvent,
  type DeliveryAgents,
  type DeliveryAttempt,
  deliver,
  webhookHeaders,
} from "@mailhook/webhook";

/** A test event waits at most this long; its preview is shorter than a delivery's. */
export const TEST_EVENT_LIMITS = { connectTimeoutMs: 5_000, totalTimeoutMs: 10_000, maxResponseBytes: 1_024 };

export type TestEventOutcome =
  /** Sent: what the receiver answered (or why it did not), as a delivery attempt records it. */
  | { sent: true; id: string; attempt: DeliveryAttempt }
  /** Not sent: the outbound policy refused the destination (`message` is for the tenant, `reason` for the log). */
  | { sent: false; id: string; refusal: Extract<UrlVerdict, { ok: false }> };

/**
 * Sends one signed `endpoint.test` event to an endpoint through the outbound policy a delivery
 * goes through (the URL checked and resolved now, the connection made to the checked address), with
 * the endpoint's secrets and custom headers. Bounded by TEST_EVENT_LIMITS; no record, no retry, no
 * effect on the endpoint's circuit.
 */
export async function sendTestEvent(
  deps: { outbound: OutboundPolicy; agents?: DeliveryAgents; onError?: (detail: string) => void },
  endpoint: Endpoint,
): Promise<TestEventOutcome> {
  const event = buildTestEvent(endpoint.tenantId, endpoint.id);
  const dest = await deps.outbound.checkUrl(endpoint.url, { tenantId: endpoint.tenantId });
  if (!dest.ok) return { sent: false, id: event.id, refusal: dest };
  const body = JSON.stringify(event);
  const headers = webhookHeaders({
    id: event.id,
    timestamp: Math.floor(Date.now() / 1000),
    body,
    secrets: signingSecrets(endpoint),
    extra: endpoint.headers,
  });
  const attempt = await deliver({
    url: dest.url,
    address: dest.address,
    family: dest.family,
    headers,
    body,
    ...TEST_EVENT_LIMITS,
    ...(deps.agents ? { agents: deps.agents } : {}),
    ...(deps.onError ? { onError: deps.onError } : {}),
  });
  return { sent: true, id: event.id, attempt };
}
