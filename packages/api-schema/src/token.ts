import { z } from "@hono/zod-openapi";

/** GET /v1/token: who the calling token is. */
export const TokenInfo = z
  .object({
    kind: z.enum(["tenant", "admin"]),
    tenantId: z.string().nullable(),
    name: z.string().nullable(),
    readOnly: z.boolean(),
  })
  .openapi("TokenInfo");
export type TokenInfo = z.infer<typeof TokenInfo>;
