import { createRoute } from "@hono/zod-openapi";
import { DeliveryView, IdParam } from "@mailhook/api-schema";
import type { DeliveryRecord } from "@mailhook/store";
import type { Api } from "../app.js";
import { ApiError, errorResponses } from "../errors.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import type { Services } from "../services.js";
import { deliveryView } from "../views.js";

export const getDeliveryRoute = createRoute({
  method: "get",
  path: "/v1/deliveries/{id}",
  tags: ["deliveries"],
  summary: "Get one delivery with every attempt and the exact body sent",
  security: bearer,
  request: { params: IdParam },
  responses: {
    200: { description: "The delivery", content: { "application/json": { schema: DeliveryView } } },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

/** Delivery ids are global in the store: the tenant check makes another tenant's id a plain 404. */
export async function loadDelivery(svc: Services, tenantId: string, id: string): Promise<DeliveryRecord> {
  const d = await svc.deps.store.getDelivery(id);
  if (!d || d.tenantId !== tenantId)
    throw new ApiError(404, "NOT_FOUND", `delivery ${JSON.stringify(id)} not found`);
  return d;
}

export function registerGetDelivery(app: Api, svc: Services): void {
  app.openapi(getDeliveryRoute, async (c) => {
    const tenantId = tenantOf(c, "read");
    return c.json(deliveryView(await loadDelivery(svc, tenantId, c.req.valid("param").id)), 200);
  });
}
