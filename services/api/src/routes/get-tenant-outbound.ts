import { createRoute } from "@hono/zod-openapi";
import type { Api } from "../app.js";
import { errorResponses, notFound } from "../errors.js";
import { requireAdmin } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import { TenantOutboundAllow, TenantParam } from "../schemas/tenant.js";
import type { Services } from "../services.js";

export const getTenantOutboundRoute = createRoute({
  method: "get",
  path: "/v1/tenants/{tenantId}/outbound-allow",
  tags: ["tenants"],
  summary: "The tenant's own outbound allow-list entries (admin token)",
  security: bearer,
  request: { params: TenantParam },
  responses: {
    200: {
      description: "Entries added to WEBHOOK_ALLOW / IMAP_ALLOW for this tenant",
      content: { "application/json": { schema: TenantOutboundAllow } },
    },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

export function registerGetTenantOutbound(app: Api, svc: Services): void {
  app.openapi(getTenantOutboundRoute, async (c) => {
    requireAdmin(c);
    const { tenantId } = c.req.valid("param");
    if (!(await svc.tenants.get(tenantId))) throw notFound("tenant", tenantId);
    const v = await svc.tenantOutbound.get(tenantId);
    return c.json({ webhookAllow: v?.http ?? [], imapAllow: v?.imap ?? [] }, 200);
  });
}
