import { createRoute } from "@hono/zod-openapi";
import { IdempotencyHeader } from "@mailhook/api-schema";
import { newTenantId } from "@mailhook/store";
import type { Api } from "../app.js";
import { ApiError, errorResponses } from "../errors.js";
import { idempotent } from "../idempotent.js";
import { requireAdmin } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import { TenantCreate, TenantView } from "../schemas/tenant.js";
import type { Services } from "../services.js";

export const createTenantRoute = createRoute({
  method: "post",
  path: "/v1/tenants",
  tags: ["tenants"],
  summary: "Create a tenant (admin token)",
  security: bearer,
  request: {
    headers: IdempotencyHeader,
    body: { required: true, content: { "application/json": { schema: TenantCreate } } },
  },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: TenantView } } },
    ...errorResponses(400, 401, 403, 409, 413, 422, 429),
  },
});

export function registerCreateTenant(app: Api, svc: Services): void {
  app.openapi(createTenantRoute, async (c) => {
    requireAdmin(c);
    const body = c.req.valid("json");
    const created = await idempotent(c, svc, "admin", "create-tenant", body, async () => {
      const tenant = { id: body.id ?? newTenantId(), name: body.name, createdAt: new Date().toISOString() };
      if (!(await svc.tenants.create(tenant)))
        throw new ApiError(409, "CONFLICT", `tenant ${JSON.stringify(tenant.id)} exists`);
      return {
        body: tenant,
        headers: { Location: `/v1/tenants/${tenant.id}` },
      };
    });
    return c.json(created, 201);
  });
}
