import { createRoute } from "@hono/zod-openapi";
import { IdParam, IfMatchHeader, RuleBody, RuleView } from "@mailhook/api-schema";
import type { Api } from "../app.js";
import { errorResponses } from "../errors.js";
import { refuseManaged } from "../mailboxes.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import { casFailed, checkIfMatch, loadRule, ruleBodyHook, validateRule } from "../rules.js";
import type { Services } from "../services.js";
import { ruleView } from "../views.js";

export const replaceRuleRoute = createRoute({
  method: "put",
  path: "/v1/rules/{id}",
  tags: ["rules"],
  summary: "Replace a rule (If-Match required); applies to the next message",
  security: bearer,
  request: {
    params: IdParam,
    headers: IfMatchHeader,
    body: { required: true, content: { "application/json": { schema: RuleBody } } },
  },
  responses: {
    200: { description: "Replaced; new ETag", content: { "application/json": { schema: RuleView } } },
    ...errorResponses(400, 401, 403, 404, 409, 412, 413, 428, 429),
  },
});

export function registerReplaceRule(app: Api, svc: Services): void {
  app.openapi(
    replaceRuleRoute,
    async (c) => {
      const tenantId = tenantOf(c, "write");
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const current = await loadRule(svc, tenantId, id);
      refuseManaged("rule", current.rule, id);
      checkIfMatch(c.req.header("if-match"), current.etag, true);
      const rule = { ...(await validateRule(svc, tenantId, { ...body, id }, id)), managed: "api" as const };
      // The write is conditional on the ETag just checked: an edit in between answers 412.
      const r = await svc.rules.write(tenantId, [{ id, expect: current.etag, rule }]);
      if (!r.ok) throw casFailed(r.reason, id);
      // A changed rule starts with a clean budget record (and resumes if it was suspended).
      await svc.ruleHealth.clear(tenantId, id);
      const etag = r.etags[id] ?? "";
      c.header("ETag", `"${etag}"`);
      return c.json(ruleView(rule, etag), 200);
    },
    ruleBodyHook,
  );
}
