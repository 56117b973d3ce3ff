import { createRoute } from "@hono/zod-openapi";
import { AllowListError } from "@mailhook/net";
import type { Api } from "../app.js";
import { errorResponses, notFound, validationFailed } from "../errors.js";
import { requireAdmin } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import { TenantOutboundAllow, TenantParam } from "../schemas/tenant.js";
import type { Services } from "../services.js";

export const putTenantOutboundRoute = createRoute({
  method: "put",
  path: "/v1/tenants/{tenantId}/outbound-allow",
  tags: ["tenants"],
  summary: "Set the tenant's own outbound allow-list entries (admin token only: tenants cannot widen it)",
  security: bearer,
  request: {
    params: TenantParam,
    body: { required: true, content: { "application/json": { schema: TenantOutboundAllow } } },
  },
  responses: {
    200: {
      description: "Saved; applies at the next connect",
      content: { "application/json": { schema: TenantOutboundAllow } },
    },
    ...errorResponses(400, 401, 403, 404, 413, 429),
  },
});

export function registerPutTenantOutbound(app: Api, svc: Services): void {
  app.openapi(putTenantOutboundRoute, async (c) => {
    requireAdmin(c);
    const { tenantId } = c.req.valid("param");
    const body = c.req.valid("json");
    if (!(await svc.tenants.get(tenantId))) throw notFound("tenant", tenantId);
    const problems = (["webhookAllow", "imapAllow"] as const).flatMap((field) =>
      body[field].flatMap((entry, i) => {
        try {
          svc.outbound.parse([entry]);
          return [];
        } catch (err) {
          const reason = err instanceof AllowListError ? err.message : "not a valid entry";
          return [{ path: `body.${field}[${i}]`, reason }];
        }
      }),
    );
    if (problems.length) throw validationFailed(problems);
    await svc.tenantOutbound.set(tenantId, { http: body.webhookAllow, imap: body.imapAllow });
    return c.json(body, 200);
  });
}
