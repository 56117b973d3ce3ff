import { createRoute } from "@hono/zod-openapi";
import { IdParam, RuleView } from "@mailhook/api-schema";
import type { Api } from "../app.js";
import { errorResponses } from "../errors.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import { loadRule } from "../rules.js";
import type { Services } from "../services.js";
import { ruleView } from "../views.js";

export const getRuleRoute = createRoute({
  method: "get",
  path: "/v1/rules/{id}",
  tags: ["rules"],
  summary: "Get a rule with its ETag",
  security: bearer,
  request: { params: IdParam },
  responses: {
    200: { description: "The rule; ETag header set", content: { "application/json": { schema: RuleView } } },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

export function registerGetRule(app: Api, svc: Services): void {
  app.openapi(getRuleRoute, async (c) => {
    const tenantId = tenantOf(c, "read");
    const { id } = c.req.valid("param");
    const { rule, etag } = await loadRule(svc, tenantId, id);
    c.header("ETag", `"${etag}"`);
    return c.json(ruleView(rule, etag, await svc.ruleHealth.get(tenantId, id)), 200);
  });
}
