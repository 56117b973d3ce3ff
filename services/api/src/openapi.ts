import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "@hono/zod-openapi";
import { Leaf } from "@mailhook/rules";
import type { AppEnv } from "./context.js";

export const OPENAPI_INFO: {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  servers: { url: string }[];
} = {
  openapi: "3.1.0",
  info: {
    title: "mailhook API",
    version: "1",
    description:
      "Configure IMAP mailboxes, rules and webhook endpoints per tenant. Every failure answers " +
      "`{ error: { code, message, details?, requestId } }`. See docs/api.md.",
  },
  servers: [{ url: "/" }],
};

/** Components the generator cannot derive: the condition leaf as JSON Schema and the bearer scheme. */
export function registerComponents(app: OpenAPIHono<AppEnv>): void {
  const leaf = z.toJSONSchema(Leaf, { target: "draft-2020-12", io: "input" }) as Record<string, unknown>;
  delete leaf.$schema;
  app.openAPIRegistry.registerComponent("schemas", "ConditionLeaf", leaf);
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "A tenant token (mh_…) for /v1 resources; the admin token for /v1/tenants",
  });
}

export const bearer = [{ bearer: [] }];
