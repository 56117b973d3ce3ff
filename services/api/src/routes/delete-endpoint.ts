import { createRoute } from "@hono/zod-openapi";
import { IdParam } from "@mailhook/api-schema";
import type { Api } from "../app.js";
import { loadEndpoint } from "../endpoints.js";
import { ApiError, errorResponses } from "../errors.js";
import { refuseManaged } from "../mailboxes.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import type { Services } from "../services.js";

export const deleteEndpointRoute = createRoute({
  method: "delete",
  path: "/v1/endpoints/{id}",
  tags: ["endpoints"],
  summary: "Delete an endpoint that no rule uses",
  security: bearer,
  request: { params: IdParam },
  responses: {
    204: { description: "Deleted" },
    ...errorResponses(400, 401, 403, 404, 409, 429),
  },
});

export function registerDeleteEndpoint(app: Api, svc: Services): void {
  app.openapi(deleteEndpointRoute, async (c) => {
    const tenantId = tenantOf(c, "write");
    const { id } = c.req.valid("param");
    const e = await loadEndpoint(svc, tenantId, id);
    refuseManaged("endpoint", e, id);
    const users = (await svc.deps.store.listRules(tenantId)).filter((r) =>
      r.actions.some((a) => a.type === "webhook" && a.endpoint === id),
    );
    if (users.length)
      throw new ApiError(
        409,
        "IN_USE",
        "rules still send to this endpoint; change or delete them first",
        users.map((r) => ({ path: `rules.${r.id}`, reason: "has a webhook action for this endpoint" })),
      );
    await svc.deps.store.deleteEndpoint(tenantId, id);
    return c.body(null, 204);
  });
}
