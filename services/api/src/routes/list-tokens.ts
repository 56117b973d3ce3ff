import { createRoute } from "@hono/zod-openapi";
import type { Api } from "../app.js";
import { errorResponses, notFound } from "../errors.js";
import { requireAdmin } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import { PageQuery, pageById, pageOf } from "../pagination.js";
import { TenantParam, TokenView } from "../schemas/tenant.js";
import type { Services } from "../services.js";

export const listTokensRoute = createRoute({
  method: "get",
  path: "/v1/tenants/{tenantId}/tokens",
  tags: ["tenants"],
  summary: "List a tenant's tokens, revoked ones included (admin token); never the secrets",
  security: bearer,
  request: { params: TenantParam, query: PageQuery },
  responses: {
    200: {
      description: "A page of tokens",
      content: { "application/json": { schema: pageOf(TokenView, "TokenPage") } },
    },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

export function registerListTokens(app: Api, svc: Services): void {
  app.openapi(listTokensRoute, async (c) => {
    requireAdmin(c);
    const { tenantId } = c.req.valid("param");
    if (!(await svc.tenants.get(tenantId))) throw notFound("tenant", tenantId);
    return c.json(pageById(await svc.tokens.list(tenantId), c.req.valid("query")), 200);
  });
}
