import { createRoute } from "@hono/zod-openapi";
import { ReorderBody, RuleView } from "@mailhook/api-schema";
import type { Api } from "../app.js";
import { ApiError, type ErrorDetail, errorResponses, validationFailed } from "../errors.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import { pageOf } from "../pagination.js";
import { casFailed } from "../rules.js";
import type { Services } from "../services.js";
import { ruleView } from "../views.js";

export const reorderRulesRoute = createRoute({
  method: "post",
  path: "/v1/rules/reorder",
  tags: ["rules"],
  summary: "Set the order rules run in: list every API-managed rule id once; priorities become 10, 20, 30, …",
  security: bearer,
  request: { body: { required: true, content: { "application/json": { schema: ReorderBody } } } },
  responses: {
    200: {
      description: "The rules in their new order",
      content: { "application/json": { schema: pageOf(RuleView, "RuleList") } },
    },
    ...errorResponses(400, 401, 403, 409, 412, 413, 429),
  },
});

export function registerReorderRules(app: Api, svc: Services): void {
  app.openapi(reorderRulesRoute, async (c) => {
    const tenantId = tenantOf(c, "write");
    const { ids } = c.req.valid("json");
    const current = await svc.rules.list(tenantId);
    const byId = new Map(current.map((x) => [x.rule.id, x]));
    const details: ErrorDetail[] = [];
    const seen = new Set<string>();
    ids.forEach((id, i) => {
      const x = byId.get(id);
      if (!x) details.push({ path: `body.ids[${i}]`, reason: `no rule ${JSON.stringify(id)}` });
      else if (x.rule.managed === "file")
        details.push({ path: `body.ids[${i}]`, reason: "managed by mailhook.yaml" });
      if (seen.has(id)) details.push({ path: `body.ids[${i}]`, reason: "listed twice" });
      seen.add(id);
    });
    for (const x of current)
      if (x.rule.managed !== "file" && !seen.has(x.rule.id))
        details.push({ path: "body.ids", reason: `rule ${JSON.stringify(x.rule.id)} is missing` });
    if (details.length) throw validationFailed(details, "ids must list every API-managed rule exactly once");
    const writes = ids.map((id, i) => {
      const x = byId.get(id);
      if (!x) throw new ApiError(500, "INTERNAL", "rule vanished");
      return { id, expect: x.etag, rule: { ...x.rule, priority: (i + 1) * 10 } };
    });
    const r = await svc.rules.write(tenantId, writes);
    if (!r.ok) throw casFailed(r.reason, r.id);
    return c.json({ data: writes.map((w) => ruleView(w.rule, r.etags[w.id] ?? "")), nextCursor: null }, 200);
  });
}
