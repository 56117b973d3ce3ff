import { randomBytes } from "node:crypto";
import type { OutboundPolicy, UrlVerdict } from "@mailhook/net";
import { z } from "zod";
import type { DeliveryAgents } from "./agents.js";
import type { DeliveryAttempt } from "./attempt.js";
import { deliver } from "./deliver.js";
import { webhookHeaders } from "./headers.js";

/**
 * The body of a test event ("send test event" in the console, `POST /v1/endpoints/{id}/test`):
 * signed and sent like a delivery, so a receiver can check its signature handling, but of its own
 * `type` so it is never mistaken for mail. Nothing is recorded and it is never retried.
 */
export const TestEventPayload = z.object({
  type: z.literal("endpoint.test"),
  version: z.literal(1),
  /** Also the webhook-id header; fresh for every test. */
  id: z.string(),
  timestamp: z.iso.datetime(),
  tenant: z.string(),
  endpoint: z.object({ id: z.string() }),
});
export type TestEventPayload = z.infer<typeof TestEventPayload>;

export function buildTestEvent(tenant: string, endpointId: string, now: Date = new Date()): TestEventPayload {
  return {
    type: "endpoint.test",
    version: 1,
    id: `evt_test_${randomBytes(12).toString("base64url")}`,
    timestamp: now.toISOString(),
    tenant,
    endpoint: { id: endpointId },
  };
}

/** A test event waits at most this long; its preview is shorter than a delivery's. */
export const TEST_EVENT_LIMITS = { connectTimeoutMs: 5_000, totalTimeoutMs: 10_000, maxResponseBytes: 1_024 };

export interface TestEventTarget {
  tenantId: string;
  endpointId: string;
  url: string;
  /** The secrets a delivery would sign with now (`signingSecrets(endpoint)`). */
  secrets: string[];
  /** The endpoint's custom headers. */
  headers: Record<string, string>;
}

export type TestEventOutcome =
  /** Sent: what the receiver answered (or why it did not), as a delivery attempt records it. */
  | { sent: true; id: string; attempt: DeliveryAttempt }
  /** Not sent: the outbound policy refused the destination (`message` is for the tenant, `reason` for the log). */
  | { sent: false; id: string; refusal: Extract<UrlVerdict, { ok: false }> };

/**
 * Sends one signed `endpoint.test` event through the outbound policy a delivery goes through (the
 * URL checked and resolved now, the connection made to the checked address), with the endpoint's
 * secrets and custom headers. Bounded by TEST_EVENT_LIMITS; no record, no retry, and no effect on
 * the endpoint's circuit breaker.
 */
export async function sendTestEvent(
  deps: { outbound: OutboundPolicy; agents?: DeliveryAgents; onError?: (detail: string) => void },
  target: TestEventTarget,
): Promise<TestEventOutcome> {
  const event = buildTestEvent(target.tenantId, target.endpointId);
  const dest = await deps.outbound.checkUrl(target.url, { tenantId: target.tenantId });
  if (!dest.ok) return { sent: false, id: event.id, refusal: dest };
  const body = JSON.stringify(event);
  const headers = webhookHeaders({
    id: event.id,
    timestamp: Math.floor(Date.now() / 1000),
    body,
    secrets: target.secrets,
    extra: target.headers,
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
