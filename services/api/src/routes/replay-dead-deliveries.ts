import { createRoute } from "@hono/zod-openapi";
import { IdParam, ReplayDeadResult } from "@mailhook/api-schema";
import type { Api } from "../app.js";
import { loadEndpoint } from "../endpoints.js";
import { ApiError, errorResponses } from "../errors.js";
import { imapStack } from "../lazy.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import type { Services } from "../services.js";

export const replayDeadDeliveriesRoute = createRoute({
  method: "post",
  path: "/v1/endpoints/{id}/replay-dead",
  tags: ["deliveries"],
  summary:
    "Replay every failed or dead-lettered delivery of an endpoint (up to 1,000 per call, oldest first)",
  security: bearer,
  request: { params: IdParam },
  responses: {
    202: { description: "Queued", content: { "application/json": { schema: ReplayDeadResult } } },
    ...errorResponses(400, 401, 403, 404, 429, 501),
  },
});

export function registerReplayDeadDeliveries(app: Api, svc: Services): void {
  app.openapi(replayDeadDeliveriesRoute, async (c) => {
    const tenantId = tenantOf(c, "write");
    const { id } = c.req.valid("param");
    await loadEndpoint(svc, tenantId, id);
    const deliveries = svc.deps.deliveries;
    if (!deliveries) throw new ApiError(501, "NOT_IMPLEMENTED", "replay is not available in this deployment");
    const { replayDeadDeliveries } = await imapStack();
    const r = await replayDeadDeliveries({ store: svc.deps.store, deliveries }, tenantId, id);
    return c.json({ endpointId: id, replayed: r.replayed, skipped: r.skipped }, 202);
  });
}
