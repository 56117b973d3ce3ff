import { createRoute, z } from "@hono/zod-openapi";
import { deleteTenant, listTenantMailboxes } from "@mailhook/store";
import type { Api } from "../app.js";
import { ApiError, errorResponses, notFound } from "../errors.js";
import { requireAdmin } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import { TenantParam } from "../schemas/tenant.js";
import type { Services } from "../services.js";

const count = z.number().int();

export const deleteTenantRoute = createRoute({
  method: "delete",
  path: "/v1/tenants/{tenantId}",
  tags: ["tenants"],
  summary:
    "Delete a tenant and everything it owns: tokens, mailboxes (watchers let go), endpoints, rules, deliveries, queued jobs (admin token)",
  security: bearer,
  request: { params: TenantParam },
  responses: {
    200: {
      description: "Deleted; what was removed",
      content: {
        "application/json": {
          schema: z
            .object({
              tenantId: z.string(),
              mailboxes: count,
              endpoints: count,
              rules: count,
              tokens: count,
              deliveries: count,
              jobs: count,
              keys: count,
              leasesLeft: count.openapi({
                description: "Leases a watcher did not release in time; they expire on their own",
              }),
            })
            .openapi("TenantDeleted"),
        },
      },
    },
    ...errorResponses(400, 401, 403, 404, 409, 429),
  },
});

export function registerDeleteTenant(app: Api, svc: Services): void {
  app.openapi(deleteTenantRoute, async (c) => {
    requireAdmin(c);
    const { tenantId } = c.req.valid("param");
    const { store } = svc.deps;
    const known =
      (await svc.tenants.get(tenantId)) !== null || (await store.listTenants()).includes(tenantId);
    if (!known) throw notFound("tenant", tenantId);
    // The config file would seed them again at the next start: it must drop them first.
    const fromFile =
      (await listTenantMailboxes(store, tenantId)).some((m) => m.managed === "file") ||
      (await store.listEndpoints(tenantId)).some((e) => e.managed === "file") ||
      (await store.listRules(tenantId)).some((r) => (r as { managed?: string }).managed === "file");
    if (fromFile)
      throw new ApiError(
        409,
        "MANAGED_BY_FILE",
        `tenant ${JSON.stringify(tenantId)} has resources from mailhook.yaml; remove them from the file (and restart) first`,
      );
    const r = await deleteTenant(store, svc.deps.prefix, tenantId, {
      ...(svc.deps.purgeTenantJobs ? { purgeJobs: svc.deps.purgeTenantJobs } : {}),
      releaseTimeoutMs: svc.deps.leaseTtlMs ?? 20_000,
    });
    c.get("log")?.info({ tenantId, ...r }, "tenant deleted");
    return c.json({ tenantId, ...r }, 200);
  });
}
