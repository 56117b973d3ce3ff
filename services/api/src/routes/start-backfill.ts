import { createRoute } from "@hono/zod-openapi";
import { BackfillCreate, BackfillView, IdParam } from "@mailhook/api-schema";
import type { BackfillDeps } from "@mailhook/pipeline";
import type { BackfillRecord } from "@mailhook/store";
import type { Api } from "../app.js";
import { ApiError, errorResponses } from "../errors.js";
import { imapStack } from "../lazy.js";
import { checkImapHost, loadMailbox, probeTarget } from "../mailboxes.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import type { Services } from "../services.js";

// @mailhook/pipeline's MAX_BACKFILL_MESSAGES, for the description: importing the package here would
// load the whole IMAP stack at start (see lazy.ts); test/api-openapi.test.ts checks they agree.
const DOCUMENTED_MAX_MESSAGES = 20_000;

export const startBackfillRoute = createRoute({
  method: "post",
  path: "/v1/mailboxes/{id}/backfill",
  tags: ["mailboxes"],
  summary: "Run a folder's history since a day through the rules (exactly once per rule and endpoint)",
  description: `The API searches the folder (\`UID SEARCH SINCE\`) and enqueues every message found, under the same job ids the watcher uses; messages already delivered are not sent again. At most ${DOCUMENTED_MAX_MESSAGES} messages per backfill. Follow the progress with GET /v1/backfills/{id}.`,
  security: bearer,
  request: {
    params: IdParam,
    body: { required: true, content: { "application/json": { schema: BackfillCreate } } },
  },
  responses: {
    202: {
      description: "Enqueued; `total` is what SEARCH found",
      content: { "application/json": { schema: BackfillView } },
    },
    ...errorResponses(400, 401, 403, 404, 413, 422, 429, 501),
  },
});

export function registerStartBackfill(app: Api, svc: Services): void {
  app.openapi(startBackfillRoute, async (c) => {
    const tenantId = tenantOf(c, "write");
    const { id } = c.req.valid("param");
    const { folder, since } = c.req.valid("json");
    const producer = svc.deps.mailJobs;
    if (!producer) throw new ApiError(501, "NOT_IMPLEMENTED", "backfill is not available in this deployment");
    const m = await loadMailbox(svc, tenantId, id);
    const dest = await checkImapHost(svc, tenantId, m);
    const oauth = await svc.oauth.get(tenantId, id);
    const {
      describeError,
      describeErrorForTenant,
      MAX_BACKFILL_MESSAGES,
      searchSince,
      startBackfill,
      withSession,
    } = await imapStack();
    let found: { uidValidity: number; uids: number[] };
    try {
      found = await withSession(probeTarget(m, m.password, oauth !== null, dest), 60_000, (client) =>
        searchSince(client, folder, new Date(`${since}T00:00:00Z`)),
      );
    } catch (err) {
      svc.deps.log.info({ tenantId, mailboxId: id, err: describeError(err) }, "backfill search failed");
      throw new ApiError(
        422,
        "MAILBOX_VERIFY_FAILED",
        `could not search the folder: ${describeErrorForTenant(err)}`,
        [{ path: "body.folder", reason: "the login or the folder failed" }],
      );
    }
    if (found.uids.length > MAX_BACKFILL_MESSAGES)
      throw new ApiError(
        422,
        "VALIDATION_FAILED",
        `${found.uids.length} messages since ${since}; a backfill takes at most ${MAX_BACKFILL_MESSAGES}`,
        [{ path: "body.since", reason: "choose a later day and backfill the earlier days in parts" }],
      );
    const deps = { backfills: svc.backfills, producer, redis: svc.deps.redis };
    const record = await startBackfill(deps, { tenantId, mailboxId: id, folder, since, found });
    return c.json(await backfillView(deps, record), 202);
  });
}

/** A backfill as the API shows it: the record without its UID list, with the progress now. */
export async function backfillView(deps: BackfillDeps, record: BackfillRecord): Promise<BackfillView> {
  const { uids: _uids, tenantId: _tenantId, ...view } = record;
  return { ...view, ...(await (await imapStack()).backfillProgress(deps, record)) };
}
