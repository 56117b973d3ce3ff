import { createRoute } from "@hono/zod-openapi";
import type { Api } from "../app.js";
import { errorResponses, notFound } from "../errors.js";
import { requireAdmin } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import { TenantParam, TenantView } from "../schemas/tenant.js";
import type { Services } from "../services.js";

export const getTenantRoute = createRoute({
  method: "get",
  path: "/v1/tenants/{tenantId}",
  tags: ["tenants"],
  summary: "Get a tenant (admin token)",
  security: bearer,
  request: { params: TenantParam },
  responses: {
    200: { description: "The tenant", content: { "application/json": { schema: TenantView } } },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

export function registerGetTenant(app: Api, svc: Services): void {
  app.openapi(getTenantRoute, async (c) => {
    requireAdmin(c);
    const { tenantId } = c.req.valid("param");
    const t = await svc.tenants.get(tenantId);
    if (!t) throw notFound("tenant", tenantId);
    return c.json(t, 200);
  });
}
