import { createRoute } from "@hono/zod-openapi";
import { IdParam, IfMatchHeader, RuleView } from "@mailhook/api-schema";
import type { Api } from "../app.js";
import { errorResponses } from "../errors.js";
import { refuseManaged } from "../mailboxes.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import { casFailed, checkIfMatch, loadRule } from "../rules.js";
import type { Services } from "../services.js";
import { ruleView } from "../views.js";

export const enableRuleRoute = createRoute({
  method: "post",
  path: "/v1/rules/{id}/enable",
  tags: ["rules"],
  summary: "Enable a rule (If-Match honoured when sent); applies to the next message",
  security: bearer,
  request: { params: IdParam, headers: IfMatchHeader },
  responses: {
    200: { description: "The rule; new ETag", content: { "application/json": { schema: RuleView } } },
    ...errorResponses(400, 401, 403, 404, 409, 412, 429),
  },
});

export function registerEnableRule(app: Api, svc: Services): void {
  app.openapi(enableRuleRoute, async (c) => {
    const tenantId = tenantOf(c, "write");
    const { id } = c.req.valid("param");
    const current = await loadRule(svc, tenantId, id);
    refuseManaged("rule", current.rule, id);
    checkIfMatch(c.req.header("if-match"), current.etag, false);
    const rule = { ...current.rule, enabled: true };
    const r = await svc.rules.write(tenantId, [{ id, expect: current.etag, rule }]);
    if (!r.ok) throw casFailed(r.reason, id);
    // Enabling is how a tenant resumes a rule suspended for running out of budget.
    await svc.ruleHealth.clear(tenantId, id);
    const etag = r.etags[id] ?? "";
    c.header("ETag", `"${etag}"`);
    return c.json(ruleView(rule, etag), 200);
  });
}
