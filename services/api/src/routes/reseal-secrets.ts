import { createRoute, z } from "@hono/zod-openapi";
import { resealSecrets } from "@mailhook/store";
import type { Api } from "../app.js";
import { errorResponses } from "../errors.js";
import { requireAdmin } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import type { Services } from "../services.js";

export const resealSecretsRoute = createRoute({
  method: "post",
  path: "/v1/admin/reseal",
  tags: ["operations"],
  summary: "Re-encrypt every stored credential sealed with an older key under the current one (admin token)",
  description:
    "Key rollover: list the new key first in MAILHOOK_ENCRYPTION_KEYS and keep the old one, restart, call this, then drop the old key. Also rewrites values sealed in the older format (no associated data, custom headers in clear) and expires idempotency records made under an older key.",
  security: bearer,
  responses: {
    200: {
      description: "How many records were re-encrypted",
      content: {
        "application/json": {
          schema: z
            .object({
              keyId: z.string(),
              mailboxes: z.number().int(),
              endpoints: z.number().int(),
              oauth: z.number().int(),
              idempotency: z
                .number()
                .int()
                .openapi({ description: "Idempotency records made under an older key, expired" }),
            })
            .openapi("ResealResult"),
        },
      },
    },
    ...errorResponses(401, 403, 429),
  },
});

export function registerResealSecrets(app: Api, svc: Services): void {
  app.openapi(resealSecretsRoute, async (c) => {
    requireAdmin(c);
    const r = await resealSecrets(svc.deps.store, svc.deps.prefix, svc.deps.secrets);
    return c.json({ keyId: svc.deps.secrets.currentKeyId, ...r }, 200);
  });
}
