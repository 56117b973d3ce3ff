import { createRoute } from "@hono/zod-openapi";
import { DeliveryView, IdParam } from "@mailhook/api-schema";
import type { Api } from "../app.js";
import { ApiError, errorResponses } from "../errors.js";
import { imapStack } from "../lazy.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import type { Services } from "../services.js";
import { deliveryView } from "../views.js";

export const replayDeliveryRoute = createRoute({
  method: "post",
  path: "/v1/deliveries/{id}/replay",
  tags: ["deliveries"],
  summary: "Send a failed or dead delivery again: same body and webhook-id, fresh timestamp and signature",
  security: bearer,
  request: { params: IdParam },
  responses: {
    202: {
      description: "Queued; the record as it is now",
      content: { "application/json": { schema: DeliveryView } },
    },
    ...errorResponses(400, 401, 403, 404, 409, 429, 501),
  },
});

export function registerReplayDelivery(app: Api, svc: Services): void {
  app.openapi(replayDeliveryRoute, async (c) => {
    const tenantId = tenantOf(c, "write");
    const { id } = c.req.valid("param");
    const deliveries = svc.deps.deliveries;
    if (!deliveries) throw new ApiError(501, "NOT_IMPLEMENTED", "replay is not available in this deployment");
    // replayDelivery answers not-found for another tenant's delivery, like a missing one.
    const { replayDelivery } = await imapStack();
    const r = await replayDelivery({ store: svc.deps.store, deliveries }, tenantId, id);
    if (!r.ok) {
      if (r.code === "not-found")
        throw new ApiError(404, "NOT_FOUND", `delivery ${JSON.stringify(id)} not found`);
      throw new ApiError(409, "CONFLICT", r.message);
    }
    return c.json(deliveryView(r.record), 202);
  });
}
