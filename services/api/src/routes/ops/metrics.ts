import { createRoute, z } from "@hono/zod-openapi";
import type { Registry } from "prom-client";
import type { Api } from "../../app.js";

export const metricsRoute = createRoute({
  method: "get",
  path: "/metrics",
  tags: ["operations"],
  summary:
    "Prometheus metrics: requests, IMAP folders by state, jobs by queue and state, deliveries, latency",
  responses: {
    200: { description: "Prometheus text format", content: { "text/plain": { schema: z.string() } } },
  },
});

export function registerMetrics(app: Api, registry: Registry): void {
  app.openapi(metricsRoute, async (c) => {
    const text = await registry.metrics();
    return c.text(text, 200, { "Content-Type": registry.contentType });
  });
}
