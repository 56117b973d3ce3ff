import { z } from "@hono/zod-openapi";

/** Path parameter `{id}` of a tenant's resource. Bounded so fuzzed ids never reach Redis unbounded. */
export const IdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "id", in: "path" }, example: "mbx_4kq2x9" }),
});

export const IdempotencyHeader = z.object({
  "idempotency-key": z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x21-\x7e]+$/, "printable ASCII without spaces")
    .optional()
    .openapi({
      description:
        "Makes a creating POST safe to retry: the same key and body answer with the first response for 24 h",
    }),
});

export const IfMatchHeader = z.object({
  "if-match": z
    .string()
    .max(200)
    .optional()
    .openapi({ description: "ETag from GET; required to change a rule so concurrent edits are never lost" }),
});
