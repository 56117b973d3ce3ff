import { createRoute, z } from "@hono/zod-openapi";
import type { Api } from "../../app.js";
import { type OpenApiDoc, renderDocsPage } from "../../docs-page.js";

export const docsRoute = createRoute({
  method: "get",
  path: "/docs",
  tags: ["operations"],
  summary: "API reference as a static HTML page (no scripts, nothing loaded from the network)",
  responses: {
    200: { description: "HTML", content: { "text/html": { schema: z.string() } } },
  },
});

export function registerDocs(app: Api, document: () => OpenApiDoc): void {
  app.openapi(docsRoute, (c) => {
    c.header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    return c.html(renderDocsPage(document()), 200);
  });
}
