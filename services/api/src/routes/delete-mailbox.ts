import { createRoute } from "@hono/zod-openapi";
import { IdParam } from "@mailhook/api-schema";
import type { Api } from "../app.js";
import { errorResponses } from "../errors.js";
import { loadMailbox, refuseManaged } from "../mailboxes.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import type { Services } from "../services.js";

export const deleteMailboxRoute = createRoute({
  method: "delete",
  path: "/v1/mailboxes/{id}",
  tags: ["mailboxes"],
  summary: "Delete a mailbox; its watcher stops and releases the lease within seconds",
  security: bearer,
  request: { params: IdParam },
  responses: {
    204: { description: "Deleted" },
    ...errorResponses(400, 401, 403, 404, 409, 429),
  },
});

export function registerDeleteMailbox(app: Api, svc: Services): void {
  app.openapi(deleteMailboxRoute, async (c) => {
    const tenantId = tenantOf(c, "write");
    const { id } = c.req.valid("param");
    const m = await loadMailbox(svc, tenantId, id);
    refuseManaged("mailbox", m, id);
    await svc.deps.store.deleteMailbox(tenantId, id);
    await svc.oauth.delete(tenantId, id);
    return c.body(null, 204);
  });
}
