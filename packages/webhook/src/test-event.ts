import { randomBytes } from "node:crypto";
import { z } from "zod";

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
