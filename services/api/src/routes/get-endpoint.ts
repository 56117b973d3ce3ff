import { createRoute } from "@hono/zod-openapi";
import { EndpointView, IdParam } from "@mailhook/api-schema";
import type { Api } from "../app.js";
import { loadEndpoint, viewOfEndpoint } from "../endpoints.js";
import { errorResponses } from "../errors.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import type { Services } from "../services.js";

export const getEndpointRoute = createRoute({
  method: "get",
  path: "/v1/endpoints/{id}",
  tags: ["endpoints"],
  summary: "Get an endpoint (state says whether the receiver disabled it with 410)",
  security: bearer,
  request: { params: IdParam },
  responses: {
    200: { description: "The endpoint", content: { "application/json": { schema: EndpointView } } },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

export function registerGetEndpoint(app: Api, svc: Services): void {
  app.openapi(getEndpointRoute, async (c) => {
    const tenantId = tenantOf(c, "read");
    return c.json(await viewOfEndpoint(svc, await loadEndpoint(svc, tenantId, c.req.valid("param").id)), 200);
  });
}
