import { createRoute } from "@hono/zod-openapi";
import { IdParam, MailboxView } from "@mailhook/api-schema";
import type { Api } from "../app.js";
import { errorResponses } from "../errors.js";
import { loadMailbox } from "../mailboxes.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import type { Services } from "../services.js";
import { mailboxView } from "../views.js";

export const getMailboxRoute = createRoute({
  method: "get",
  path: "/v1/mailboxes/{id}",
  tags: ["mailboxes"],
  summary: "Get a mailbox (credentials are never returned)",
  security: bearer,
  request: { params: IdParam },
  responses: {
    200: { description: "The mailbox", content: { "application/json": { schema: MailboxView } } },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

export function registerGetMailbox(app: Api, svc: Services): void {
  app.openapi(getMailboxRoute, async (c) => {
    const tenantId = tenantOf(c, "read");
    const { id } = c.req.valid("param");
    const m = await loadMailbox(svc, tenantId, id);
    return c.json(mailboxView(m, await svc.oauth.get(tenantId, id)), 200);
  });
}
