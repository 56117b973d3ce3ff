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

/** Components the generator cannot derive: the recursive condition tree and the bearer scheme. */
export function registerComponents(app: OpenAPIHono<AppEnv>): void {
  const leaf = z.toJSONSchema(Leaf, { target: "draft-2020-12", io: "input" }) as Record<string, unknown>;
  delete leaf.$schema;
  const ref = { $ref: "#/components/schemas/Condition" };
  app.openAPIRegistry.registerComponent("schemas", "ConditionLeaf", leaf);
  app.openAPIRegistry.registerComponent("schemas", "Condition", {
    description:
      "A condition tree: { all: [...] }, { any: [...] }, { not: {...} } or a leaf comparison. See docs/rules.md.",
    oneOf: [
      {
        type: "object",
        properties: { all: { type: "array", items: ref, minItems: 1 } },
        required: ["all"],
        additionalProperties: false,
      },
      {
        type: "object",
        properties: { any: { type: "array", items: ref, minItems: 1 } },
        required: ["any"],
        additionalProperties: false,
      },
      { type: "object", properties: { not: ref }, required: ["not"], additionalProperties: false },
      { $ref: "#/components/schemas/ConditionLeaf" },
    ],
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "A tenant token (mh_…) for /v1 resources; the admin token for /v1/tenants",
  });
}

export const bearer = [{ bearer: [] }];
