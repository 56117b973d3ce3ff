import { createRoute } from "@hono/zod-openapi";
import { IdParam, MailboxTestResult } from "@mailhook/api-schema";
import type { Api } from "../app.js";
import { errorResponses } from "../errors.js";
import { checkImapHost, loadMailbox, probeTarget } from "../mailboxes.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import type { Services } from "../services.js";

export const testMailboxRoute = createRoute({
  method: "post",
  path: "/v1/mailboxes/{id}/test",
  tags: ["mailboxes"],
  summary: "Log in with the saved settings and list the folders (changes nothing)",
  security: bearer,
  request: { params: IdParam },
  responses: {
    200: {
      description: "The outcome; `ok: false` with a credential-free reason when the login failed",
      content: { "application/json": { schema: MailboxTestResult } },
    },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

export function registerTestMailbox(app: Api, svc: Services): void {
  app.openapi(testMailboxRoute, async (c) => {
    // Read access is enough: the test changes nothing.
    const tenantId = tenantOf(c, "read");
    const { id } = c.req.valid("param");
    const m = await loadMailbox(svc, tenantId, id);
    const dest = await checkImapHost(svc, tenantId, m);
    const oauth = await svc.oauth.get(tenantId, id);
    const { detail, ...result } = await svc.probe(probeTarget(m, m.password, oauth !== null, dest));
    if (detail) svc.deps.log.info({ tenantId, mailboxId: id, err: detail }, "mailbox test failed");
    return c.json(result, 200);
  });
}
