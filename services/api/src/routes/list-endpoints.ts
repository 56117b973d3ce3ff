import { createRoute } from "@hono/zod-openapi";
import { EndpointView } from "@mailhook/api-schema";
import type { Api } from "../app.js";
import { viewOfEndpoint } from "../endpoints.js";
import { errorResponses } from "../errors.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import { PageQuery, pageById, pageOf } from "../pagination.js";
import type { Services } from "../services.js";

export const listEndpointsRoute = createRoute({
  method: "get",
  path: "/v1/endpoints",
  tags: ["endpoints"],
  summary: "List the tenant's endpoints",
  security: bearer,
  request: { query: PageQuery },
  responses: {
    200: {
      description: "A page of endpoints",
      content: { "application/json": { schema: pageOf(EndpointView, "EndpointPage") } },
    },
    ...errorResponses(400, 401, 403, 429),
  },
});

export function registerListEndpoints(app: Api, svc: Services): void {
  app.openapi(listEndpointsRoute, async (c) => {
    const tenantId = tenantOf(c, "read");
    const page = pageById(await svc.deps.store.listEndpoints(tenantId), c.req.valid("query"));
    const data = await Promise.all(page.data.map((e) => viewOfEndpoint(svc, e)));
    return c.json({ data, nextCursor: page.nextCursor }, 200);
  });
}
