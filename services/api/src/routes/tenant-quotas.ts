import { createRoute, z } from "@hono/zod-openapi";
import type { QuotaName } from "@mailhook/store";
import type { Api } from "../app.js";
import { errorResponses, notFound } from "../errors.js";
import { requireAdmin } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import { TenantParam } from "../schemas/tenant.js";
import type { Services } from "../services.js";

const limit = z.number().int().min(0).max(1_000_000_000);
const quota = {
  mailboxes: limit.openapi({ description: "Mailboxes" }),
  folders: limit.openapi({ description: "Watched folders over all mailboxes" }),
  rules: limit,
  endpoints: limit,
  deliveries: limit.openapi({
    description: "Delivery records kept; the oldest finished ones are dropped past it",
  }),
  apiPerMinute: limit.openapi({ description: "API requests per minute over all the tenant's tokens" }),
} satisfies Record<QuotaName, z.ZodType<number>>;

const QuotaValues = z.object(quota).openapi("Quotas");

const QuotasView = z
  .object({
    tenantId: z.string(),
    quotas: QuotaValues,
    overrides: QuotaValues.partial().openapi({
      description: "The operator's overrides (absent: the default)",
    }),
    defaults: QuotaValues,
  })
  .openapi("TenantQuotas");

const QuotasUpdate = z
  .strictObject({
    mailboxes: limit.nullable().optional(),
    folders: limit.nullable().optional(),
    rules: limit.nullable().optional(),
    endpoints: limit.nullable().optional(),
    deliveries: limit.nullable().optional(),
    apiPerMinute: limit.nullable().optional(),
  } satisfies Record<QuotaName, z.ZodType<number | null | undefined>>)
  .openapi("TenantQuotasUpdate", { description: "A number sets an override; null removes it" });

const tenantQuotas = async (svc: Services, tenantId: string) => {
  const known =
    (await svc.tenants.get(tenantId)) !== null || (await svc.deps.store.listTenants()).includes(tenantId);
  if (!known) throw notFound("tenant", tenantId);
  return {
    tenantId,
    quotas: await svc.quotas.effective(tenantId),
    overrides: await svc.quotas.overrides(tenantId),
    defaults: svc.quotas.defaults,
  };
};

export const getTenantQuotasRoute = createRoute({
  method: "get",
  path: "/v1/tenants/{tenantId}/quotas",
  tags: ["tenants"],
  summary: "A tenant's quotas: what applies, the operator's overrides and the defaults (admin token)",
  security: bearer,
  request: { params: TenantParam },
  responses: {
    200: { description: "Quotas", content: { "application/json": { schema: QuotasView } } },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

export const updateTenantQuotasRoute = createRoute({
  method: "patch",
  path: "/v1/tenants/{tenantId}/quotas",
  tags: ["tenants"],
  summary: "Override a tenant's quotas (null: back to the default) (admin token)",
  security: bearer,
  request: {
    params: TenantParam,
    body: { required: true, content: { "application/json": { schema: QuotasUpdate } } },
  },
  responses: {
    200: { description: "Quotas now", content: { "application/json": { schema: QuotasView } } },
    ...errorResponses(400, 401, 403, 404, 413, 429),
  },
});

export function registerTenantQuotas(app: Api, svc: Services): void {
  app.openapi(getTenantQuotasRoute, async (c) => {
    requireAdmin(c);
    return c.json(await tenantQuotas(svc, c.req.valid("param").tenantId), 200);
  });
  app.openapi(updateTenantQuotasRoute, async (c) => {
    requireAdmin(c);
    const { tenantId } = c.req.valid("param");
    await tenantQuotas(svc, tenantId);
    await svc.quotas.update(tenantId, c.req.valid("json"));
    return c.json(await tenantQuotas(svc, tenantId), 200);
  });
}
