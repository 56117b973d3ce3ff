import { createRoute } from "@hono/zod-openapi";
import { IdempotencyHeader } from "@mailhook/api-schema";
import type { Api } from "../app.js";
import { errorResponses, notFound } from "../errors.js";
import { idempotent } from "../idempotent.js";
import { requireAdmin } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import { TenantParam, TokenCreate, TokenWithSecret } from "../schemas/tenant.js";
import type { Services } from "../services.js";

export const createTokenRoute = createRoute({
  method: "post",
  path: "/v1/tenants/{tenantId}/tokens",
  tags: ["tenants"],
  summary: "Issue an API token for a tenant (admin token); the token is shown once",
  security: bearer,
  request: {
    params: TenantParam,
    headers: IdempotencyHeader,
    body: { required: true, content: { "application/json": { schema: TokenCreate } } },
  },
  responses: {
    201: { description: "Issued", content: { "application/json": { schema: TokenWithSecret } } },
    ...errorResponses(400, 401, 403, 404, 409, 413, 422, 429),
  },
});

export function registerCreateToken(app: Api, svc: Services): void {
  app.openapi(createTokenRoute, async (c) => {
    requireAdmin(c);
    const { tenantId } = c.req.valid("param");
    const body = c.req.valid("json");
    if (!(await svc.tenants.get(tenantId))) throw notFound("tenant", tenantId);
    // The token is never kept, not even for an idempotent retry: a retry is refused and names the
    // token that was issued (revoke it and issue another if its answer was lost).
    const created = await idempotent(
      c,
      svc,
      "admin",
      `create-token:${tenantId}`,
      body,
      async () => {
        const { token, record } = await svc.tokens.issue({
          tenantId,
          name: body.name,
          readOnly: body.readOnly,
        });
        return { body: { ...record, token } };
      },
      { shownOnce: { field: "token", what: (b) => `token ${b.id}` } },
    );
    return c.json(created, 201);
  });
}
