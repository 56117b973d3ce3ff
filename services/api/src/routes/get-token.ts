import { createRoute } from "@hono/zod-openapi";
import { TokenInfo } from "@mailhook/api-schema";
import type { Api } from "../app.js";
import { errorResponses } from "../errors.js";
import { bearer } from "../openapi.js";
import type { Services } from "../services.js";

export const getTokenRoute = createRoute({
  method: "get",
  path: "/v1/token",
  tags: ["tenants"],
  summary: "Who the calling token is: its tenant and whether it is read-only (the console asks once)",
  security: bearer,
  responses: {
    200: { description: "The token", content: { "application/json": { schema: TokenInfo } } },
    ...errorResponses(401, 429),
  },
});

export function registerGetToken(app: Api, _svc: Services): void {
  app.openapi(getTokenRoute, (c) => {
    const p = c.get("principal");
    if (p?.kind === "tenant")
      return c.json(
        {
          kind: "tenant" as const,
          tenantId: p.token.tenantId,
          name: p.token.name,
          readOnly: p.token.readOnly,
        },
        200,
      );
    // The admin token manages tenants; inside a tenant it may change nothing.
    return c.json({ kind: "admin" as const, tenantId: null, name: null, readOnly: true }, 200);
  });
}
