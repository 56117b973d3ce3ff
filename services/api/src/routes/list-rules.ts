import { createRoute, z } from "@hono/zod-openapi";
import { RuleView } from "@mailhook/api-schema";
import type { Api } from "../app.js";
import { errorResponses } from "../errors.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import { decodeCursor, encodeCursor, PageQuery, pageOf } from "../pagination.js";
import type { Services } from "../services.js";
import { ruleView } from "../views.js";

export const listRulesRoute = createRoute({
  method: "get",
  path: "/v1/rules",
  tags: ["rules"],
  summary: "List the tenant's rules in the order they run (priority, then id)",
  security: bearer,
  request: { query: PageQuery },
  responses: {
    200: {
      description: "A page of rules",
      content: { "application/json": { schema: pageOf(RuleView, "RulePage") } },
    },
    ...errorResponses(400, 401, 403, 429),
  },
});

const RuleCursor = z.object({ p: z.number(), id: z.string() });

export function registerListRules(app: Api, svc: Services): void {
  app.openapi(listRulesRoute, async (c) => {
    const tenantId = tenantOf(c, "read");
    const query = c.req.valid("query");
    const after = decodeCursor(query.cursor, RuleCursor);
    const order = (a: { p: number; id: string }, b: { p: number; id: string }) =>
      a.p - b.p || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    const all = (await svc.rules.list(tenantId))
      .map((x) => ({ ...x, p: x.rule.priority, id: x.rule.id }))
      .sort(order)
      .filter((x) => after === null || order(x, after) > 0);
    const page = all.slice(0, query.limit);
    const last = page[page.length - 1];
    return c.json(
      {
        data: page.map((x) => ruleView(x.rule, x.etag)),
        nextCursor: all.length > query.limit && last ? encodeCursor({ p: last.p, id: last.id }) : null,
      },
      200,
    );
  });
}
