import { createRoute } from "@hono/zod-openapi";
import { MailboxView } from "@mailhook/api-schema";
import { listTenantMailboxes } from "@mailhook/store";
import type { Api } from "../app.js";
import { errorResponses } from "../errors.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import { PageQuery, pageById, pageOf } from "../pagination.js";
import type { Services } from "../services.js";
import { mailboxView } from "../views.js";

export const listMailboxesRoute = createRoute({
  method: "get",
  path: "/v1/mailboxes",
  tags: ["mailboxes"],
  summary: "List the tenant's mailboxes",
  security: bearer,
  request: { query: PageQuery },
  responses: {
    200: {
      description: "A page of mailboxes",
      content: { "application/json": { schema: pageOf(MailboxView, "MailboxPage") } },
    },
    ...errorResponses(400, 401, 403, 429),
  },
});

export function registerListMailboxes(app: Api, svc: Services): void {
  app.openapi(listMailboxesRoute, async (c) => {
    const tenantId = tenantOf(c, "read");
    const page = pageById(await listTenantMailboxes(svc.deps.store, tenantId), c.req.valid("query"));
    const data = await Promise.all(
      page.data.map(async (m) => mailboxView(m, await svc.oauth.get(tenantId, m.id))),
    );
    return c.json({ data, nextCursor: page.nextCursor }, 200);
  });
}
