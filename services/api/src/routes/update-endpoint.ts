import { createRoute } from "@hono/zod-openapi";
import { EndpointUpdate, EndpointView, IdParam } from "@mailhook/api-schema";
import type { Endpoint } from "@mailhook/store";
import type { Api } from "../app.js";
import { checkHeaders, checkUrl, loadEndpoint, viewOfEndpoint } from "../endpoints.js";
import { errorResponses } from "../errors.js";
import { refuseManaged } from "../mailboxes.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import type { Services } from "../services.js";

export const updateEndpointRoute = createRoute({
  method: "patch",
  path: "/v1/endpoints/{id}",
  tags: ["endpoints"],
  summary:
    "Change an endpoint; applies from the next delivery attempt. `enabled: true` re-enables one disabled by 410",
  security: bearer,
  request: {
    params: IdParam,
    body: { required: true, content: { "application/json": { schema: EndpointUpdate } } },
  },
  responses: {
    200: { description: "Updated", content: { "application/json": { schema: EndpointView } } },
    ...errorResponses(400, 401, 403, 404, 409, 413, 422, 429),
  },
});

export function registerUpdateEndpoint(app: Api, svc: Services): void {
  app.openapi(updateEndpointRoute, async (c) => {
    const tenantId = tenantOf(c, "write");
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const prev = await loadEndpoint(svc, tenantId, id);
    refuseManaged("endpoint", prev, id);
    if (body.headers) checkHeaders(body.headers);
    if (body.url !== undefined) await checkUrl(svc, tenantId, body.url);
    const enabled = body.enabled ?? prev.enabled;
    const next: Endpoint = {
      ...prev,
      url: body.url ?? prev.url,
      headers: body.headers ?? prev.headers,
      enabled,
      disabledReason: enabled
        ? null
        : body.enabled === false
          ? "disabled through the API"
          : prev.disabledReason,
      updatedAt: new Date().toISOString(),
    };
    await svc.deps.store.putEndpoint(next);
    return c.json(await viewOfEndpoint(svc, next), 200);
  });
}
