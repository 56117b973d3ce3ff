import { randomBytes } from "node:crypto";
import { createRoute } from "@hono/zod-openapi";
import { IdempotencyHeader, RuleBody, RuleView } from "@mailhook/api-schema";
import type { Api } from "../app.js";
import { ApiError, errorResponses } from "../errors.js";
import { idempotent } from "../idempotent.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import { withinQuota } from "../quota-check.js";
import { casFailed, ruleBodyHook, validateRule } from "../rules.js";
import type { Services } from "../services.js";
import { ruleView } from "../views.js";

export const createRuleRoute = createRoute({
  method: "post",
  path: "/v1/rules",
  tags: ["rules"],
  summary: "Add a rule; applies to the next message",
  description: "Validation errors list every problem with its path (e.g. body.when.any[1].op).",
  security: bearer,
  request: {
    headers: IdempotencyHeader,
    body: { required: true, content: { "application/json": { schema: RuleBody } } },
  },
  responses: {
    201: { description: "Created; ETag header set", content: { "application/json": { schema: RuleView } } },
    ...errorResponses(400, 401, 403, 409, 413, 422, 429),
  },
});

export function registerCreateRule(app: Api, svc: Services): void {
  app.openapi(
    createRuleRoute,
    async (c) => {
      const tenantId = tenantOf(c, "write");
      const body = c.req.valid("json");
      const created = await idempotent(c, svc, tenantId, "create-rule", body, async () => {
        const id = body.id ?? `rul_${randomBytes(9).toString("base64url")}`;
        const rule = { ...(await validateRule(svc, tenantId, body, id)), managed: "api" as const };
        const used = () => svc.deps.redis.hlen(svc.deps.store.keys.rules(tenantId));
        const r = await withinQuota(svc, tenantId, [{ quota: "rules", adding: 1, used }], () =>
          svc.rules.write(tenantId, [{ id, expect: "", rule }]),
        );
        if (!r.ok)
          throw r.reason === "exists"
            ? new ApiError(409, "CONFLICT", `rule ${JSON.stringify(id)} exists`)
            : casFailed(r.reason, id);
        const etag = r.etags[id] ?? "";
        return {
          body: ruleView(rule, etag),
          headers: { ETag: `"${etag}"`, Location: `/v1/rules/${id}` },
        };
      });
      return c.json(created, 201);
    },
    ruleBodyHook,
  );
}
