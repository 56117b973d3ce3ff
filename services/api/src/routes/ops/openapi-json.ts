import { createRoute, z } from "@hono/zod-openapi";
import type { Api } from "../../app.js";

export const openapiJsonRoute = createRoute({
  method: "get",
  path: "/openapi.json",
  tags: ["operations"],
  summary: "This OpenAPI 3.1 document",
  responses: {
    200: {
      description: "The document",
      content: { "application/json": { schema: z.record(z.string(), z.unknown()) } },
    },
  },
});

export function registerOpenapiJson(app: Api, document: () => Record<string, unknown>): void {
  app.openapi(openapiJsonRoute, (c) => c.json(document(), 200));
}
