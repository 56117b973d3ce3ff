import { createRoute } from "@hono/zod-openapi";
import { BackfillView, IdParam } from "@mailhook/api-schema";
import type { Api } from "../app.js";
import { ApiError, errorResponses, notFound } from "../errors.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import type { Services } from "../services.js";
import { backfillView } from "./start-backfill.js";

export const getBackfillRoute = createRoute({
  method: "get",
  path: "/v1/backfills/{id}",
  tags: ["mailboxes"],
  summary: "A backfill's progress: processed, failed and pending of the messages SEARCH found",
  security: bearer,
  request: { params: IdParam },
  responses: {
    200: { description: "The backfill now", content: { "application/json": { schema: BackfillView } } },
    ...errorResponses(400, 401, 403, 404, 429, 501),
  },
});

export function registerGetBackfill(app: Api, svc: Services): void {
  app.openapi(getBackfillRoute, async (c) => {
    const tenantId = tenantOf(c, "read");
    const { id } = c.req.valid("param");
    const producer = svc.deps.mailJobs;
    if (!producer) throw new ApiError(501, "NOT_IMPLEMENTED", "backfill is not available in this deployment");
    const record = await svc.backfills.get(tenantId, id);
    if (!record) throw notFound("backfill", id);
    return c.json(
      await backfillView({ backfills: svc.backfills, producer, redis: svc.deps.redis }, record),
      200,
    );
  });
}
