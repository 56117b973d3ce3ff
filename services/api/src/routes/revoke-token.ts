import { createRoute, z } from "@hono/zod-openapi";
import type { Api } from "../app.js";
import { errorResponses, notFound } from "../errors.js";
import { requireAdmin } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import { TenantParam, TokenView } from "../schemas/tenant.js";
import type { Services } from "../services.js";

export const revokeTokenRoute = createRoute({
  method: "delete",
  path: "/v1/tenants/{tenantId}/tokens/{tokenId}",
  tags: ["tenants"],
  summary: "Revoke a token (admin token); it stops working at once",
  security: bearer,
  request: {
    params: TenantParam.extend({
      tokenId: z
        .string()
        .min(1)
        .max(128)
        .openapi({ param: { name: "tokenId", in: "path" } }),
    }),
  },
  responses: {
    200: { description: "Revoked", content: { "application/json": { schema: TokenView } } },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

export function registerRevokeToken(app: Api, svc: Services): void {
  app.openapi(revokeTokenRoute, async (c) => {
    requireAdmin(c);
    const { tenantId, tokenId } = c.req.valid("param");
    const record = await svc.tokens.revoke(tenantId, tokenId);
    if (!record) throw notFound("token", tokenId);
    return c.json(record, 200);
  });
}
