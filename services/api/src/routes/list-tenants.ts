import { createRoute } from "@hono/zod-openapi";
import type { Api } from "../app.js";
import { errorResponses } from "../errors.js";
import { requireAdmin } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import { PageQuery, pageById, pageOf } from "../pagination.js";
import { TenantView } from "../schemas/tenant.js";
import type { Services } from "../services.js";

export const listTenantsRoute = createRoute({
  method: "get",
  path: "/v1/tenants",
  tags: ["tenants"],
  summary: "List tenants (admin token)",
  security: bearer,
  request: { query: PageQuery },
  responses: {
    200: {
      description: "A page of tenants",
      content: { "application/json": { schema: pageOf(TenantView, "TenantPage") } },
    },
    ...errorResponses(400, 401, 403, 429),
  },
});

export function registerListTenants(app: Api, svc: Services): void {
  app.openapi(listTenantsRoute, async (c) => {
    requireAdmin(c);
    return c.json(pageById(await svc.tenants.list(), c.req.valid("query")), 200);
  });
}
