import { randomBytes } from "node:crypto";
import { createRoute } from "@hono/zod-openapi";
import { EndpointCreate, EndpointWithSecret, IdempotencyHeader } from "@mailhook/api-schema";
import type { Endpoint } from "@mailhook/store";
import { generateSecret } from "@mailhook/webhook";
import type { Api } from "../app.js";
import { checkHeaders, checkUrl, viewOfEndpoint } from "../endpoints.js";
import { errorResponses } from "../errors.js";
import { idempotent } from "../idempotent.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import { withinQuota } from "../quota-check.js";
import type { Services } from "../services.js";

export const createEndpointRoute = createRoute({
  method: "post",
  path: "/v1/endpoints",
  tags: ["endpoints"],
  summary: "Add a webhook endpoint; its signing secret is generated and shown once",
  security: bearer,
  request: {
    headers: IdempotencyHeader,
    body: { required: true, content: { "application/json": { schema: EndpointCreate } } },
  },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: EndpointWithSecret } } },
    ...errorResponses(400, 401, 403, 409, 413, 422, 429),
  },
});

export function registerCreateEndpoint(app: Api, svc: Services): void {
  app.openapi(createEndpointRoute, async (c) => {
    const tenantId = tenantOf(c, "write");
    const body = c.req.valid("json");
    const created = await idempotent(c, svc, tenantId, "create-endpoint", body, async () => {
      checkHeaders(body.headers);
      await checkUrl(svc, tenantId, body.url);
      const secret = generateSecret();
      const endpoint: Endpoint = {
        tenantId,
        id: `ep_${randomBytes(9).toString("base64url")}`,
        url: body.url,
        secrets: [secret],
        headers: body.headers,
        enabled: body.enabled,
        disabledReason: body.enabled ? null : "disabled through the API",
        managed: "api",
        updatedAt: new Date().toISOString(),
      };
      const used = () => svc.deps.redis.hlen(svc.deps.store.keys.endpoints(tenantId));
      await withinQuota(svc, tenantId, [{ quota: "endpoints", adding: 1, used }], () =>
        svc.deps.store.putEndpoint(endpoint),
      );
      return {
        body: { ...(await viewOfEndpoint(svc, endpoint)), secret },
        headers: { Location: `/v1/endpoints/${endpoint.id}` },
      };
    });
    return c.json(created, 201);
  });
}
