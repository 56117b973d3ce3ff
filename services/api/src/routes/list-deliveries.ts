import { createRoute, z } from "@hono/zod-openapi";
import { DeliveryQuery, DeliverySummary } from "@mailhook/api-schema";
import { queryDeliveries } from "@mailhook/store";
import type { Api } from "../app.js";
import { errorResponses } from "../errors.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import { decodeCursor, encodeCursor, PageQuery, pageOf } from "../pagination.js";
import type { Services } from "../services.js";
import { deliverySummary } from "../views.js";

export const listDeliveriesRoute = createRoute({
  method: "get",
  path: "/v1/deliveries",
  tags: ["deliveries"],
  summary: "List deliveries, newest first, filtered by status, endpoint, rule, mailbox and time",
  description:
    "A page may hold fewer than `limit` items while `nextCursor` is not null: each page looks at a bounded number of records, so rare filters never scan everything at once.",
  security: bearer,
  request: { query: PageQuery.merge(DeliveryQuery) },
  responses: {
    200: {
      description: "A page of deliveries",
      content: { "application/json": { schema: pageOf(DeliverySummary, "DeliveryPage") } },
    },
    ...errorResponses(400, 401, 403, 429),
  },
});

const Cursor = z.object({ score: z.number(), id: z.string() });

export function registerListDeliveries(app: Api, svc: Services): void {
  app.openapi(listDeliveriesRoute, async (c) => {
    const tenantId = tenantOf(c, "read");
    const q = c.req.valid("query");
    const page = await queryDeliveries(
      svc.deps.store,
      tenantId,
      {
        status: q.status,
        endpointId: q.endpointId,
        ruleId: q.ruleId,
        mailboxId: q.mailboxId,
        from: q.from ? Date.parse(q.from) : undefined,
        to: q.to ? Date.parse(q.to) : undefined,
      },
      q.limit,
      decodeCursor(q.cursor, Cursor),
    );
    return c.json(
      { data: page.records.map(deliverySummary), nextCursor: page.next ? encodeCursor(page.next) : null },
      200,
    );
  });
}
