import { createRoute } from "@hono/zod-openapi";
import { EndpointTestResult, IdParam } from "@mailhook/api-schema";
import { signingSecrets } from "@mailhook/store";
import { sendTestEvent } from "@mailhook/webhook";
import type { Api } from "../app.js";
import { loadEndpoint } from "../endpoints.js";
import { ApiError, errorResponses } from "../errors.js";
import { destinationRefused } from "../mailboxes.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import type { Services } from "../services.js";

export const testEndpointRoute = createRoute({
  method: "post",
  path: "/v1/endpoints/{id}/test",
  tags: ["endpoints"],
  summary: "Send a signed test event to the endpoint and answer with what the receiver said",
  description:
    'POSTs `{ "type": "endpoint.test", … }`, signed with the endpoint\'s secrets and sent with its custom headers, through the outbound policy every delivery goes through (the URL is checked and resolved now). At most 10 s, 1 KiB of the response kept; one test per endpoint at a time. Nothing is recorded or retried, and the circuit breaker is not touched. Works on disabled endpoints and on those from mailhook.yaml.',
  security: bearer,
  request: { params: IdParam },
  responses: {
    200: {
      description: "What the receiver answered (ok: false with the error when it did not)",
      content: { "application/json": { schema: EndpointTestResult } },
    },
    ...errorResponses(400, 401, 403, 404, 409, 422, 429),
  },
});

export function registerTestEndpoint(app: Api, svc: Services): void {
  // One test per endpoint at a time in this process: a slow receiver cannot be made to hold many.
  const inFlight = new Set<string>();
  app.openapi(testEndpointRoute, async (c) => {
    // It sends a request in the tenant's name: a write, refused to read-only tokens.
    const tenantId = tenantOf(c, "write");
    const { id } = c.req.valid("param");
    const endpoint = await loadEndpoint(svc, tenantId, id);
    const key = `${tenantId}/${id}`;
    if (inFlight.has(key))
      throw new ApiError(
        409,
        "CONFLICT",
        `a test event to endpoint ${JSON.stringify(id)} is still in flight`,
      );
    inFlight.add(key);
    try {
      const log = svc.deps.log.child({ tenantId, endpointId: id });
      const r = await sendTestEvent(
        { outbound: svc.outbound, onError: (detail) => log.info({ detail }, "test event connection failed") },
        {
          tenantId,
          endpointId: id,
          url: endpoint.url,
          secrets: signingSecrets(endpoint),
          headers: endpoint.headers,
        },
      );
      if (!r.sent) throw destinationRefused(svc, "webhook URL", r.refusal, "url");
      const a = r.attempt;
      const ok = a.status !== null && a.status >= 200 && a.status < 300 && a.error === null;
      return c.json(
        {
          id: r.id,
          ok,
          status: a.status,
          latencyMs: a.latencyMs,
          error: a.error,
          responsePreview: a.responsePreview,
        },
        200,
      );
    } finally {
      inFlight.delete(key);
    }
  });
}
