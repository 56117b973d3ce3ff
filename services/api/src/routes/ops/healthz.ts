import { createRoute, z } from "@hono/zod-openapi";
import type { Api } from "../../app.js";

export const healthzRoute = createRoute({
  method: "get",
  path: "/healthz",
  tags: ["operations"],
  summary: "Liveness: the process answers",
  responses: {
    200: {
      description: "Alive",
      content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } },
    },
  },
});

export function registerHealthz(app: Api): void {
  app.openapi(healthzRoute, (c) => c.json({ status: "ok" as const }, 200));
}
