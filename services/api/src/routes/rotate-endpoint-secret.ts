import { createRoute } from "@hono/zod-openapi";
import { EndpointWithSecret, IdParam, RotateSecret } from "@mailhook/api-schema";
import type { Endpoint } from "@mailhook/store";
import { generateSecret } from "@mailhook/webhook";
import type { Api } from "../app.js";
import { loadEndpoint, viewOfEndpoint } from "../endpoints.js";
import { errorResponses } from "../errors.js";
import { refuseManaged } from "../mailboxes.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import type { Services } from "../services.js";

export const rotateEndpointSecretRoute = createRoute({
  method: "post",
  path: "/v1/endpoints/{id}/rotate-secret",
  tags: ["endpoints"],
  summary: "Generate a new signing secret; the old one keeps signing for the overlap window",
  description:
    "Standard Webhooks requests carry one signature per active secret, so receivers can switch to the new secret at any time within the window.",
  security: bearer,
  request: {
    params: IdParam,
    body: { required: true, content: { "application/json": { schema: RotateSecret } } },
  },
  responses: {
    200: {
      description: "The new secret (shown once)",
      content: { "application/json": { schema: EndpointWithSecret } },
    },
    ...errorResponses(400, 401, 403, 404, 409, 413, 429),
  },
});

export function registerRotateEndpointSecret(app: Api, svc: Services): void {
  app.openapi(rotateEndpointSecretRoute, async (c) => {
    const tenantId = tenantOf(c, "write");
    const { id } = c.req.valid("param");
    const { overlapSeconds } = c.req.valid("json");
    const prev = await loadEndpoint(svc, tenantId, id);
    refuseManaged("endpoint", prev, id);
    const now = Date.now();
    const expiresAt = new Date(now + overlapSeconds * 1000).toISOString();
    const stillValid = (prev.retiring ?? []).filter((r) => Date.parse(r.expiresAt) > now);
    const secret = generateSecret();
    const next: Endpoint = {
      ...prev,
      secrets: [secret],
      retiring:
        overlapSeconds > 0 ? [...prev.secrets.map((s) => ({ secret: s, expiresAt })), ...stillValid] : [],
      updatedAt: new Date(now).toISOString(),
    };
    await svc.deps.store.putEndpoint(next);
    return c.json({ ...(await viewOfEndpoint(svc, next)), secret }, 200);
  });
}
