import { createRoute } from "@hono/zod-openapi";
import { IdParam, IfMatchHeader } from "@mailhook/api-schema";
import type { Api } from "../app.js";
import { errorResponses } from "../errors.js";
import { refuseManaged } from "../mailboxes.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import { casFailed, checkIfMatch, loadRule } from "../rules.js";
import type { Services } from "../services.js";

export const deleteRuleRoute = createRoute({
  method: "delete",
  path: "/v1/rules/{id}",
  tags: ["rules"],
  summary: "Delete a rule (If-Match honoured when sent)",
  security: bearer,
  request: { params: IdParam, headers: IfMatchHeader },
  responses: {
    204: { description: "Deleted" },
    ...errorResponses(400, 401, 403, 404, 409, 412, 429),
  },
});

export function registerDeleteRule(app: Api, svc: Services): void {
  app.openapi(deleteRuleRoute, async (c) => {
    const tenantId = tenantOf(c, "write");
    const { id } = c.req.valid("param");
    const current = await loadRule(svc, tenantId, id);
    refuseManaged("rule", current.rule, id);
    checkIfMatch(c.req.header("if-match"), current.etag, false);
    const r = await svc.rules.write(tenantId, [{ id, expect: current.etag, rule: null }]);
    if (!r.ok) throw casFailed(r.reason, id);
    return c.body(null, 204);
  });
}
