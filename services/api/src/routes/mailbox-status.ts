import { createRoute } from "@hono/zod-openapi";
import { IdParam, MailboxStatus, type MailboxStatus as MailboxStatusT } from "@mailhook/api-schema";
import type { FolderStatus } from "@mailhook/store";
import type { Api } from "../app.js";
import { errorResponses } from "../errors.js";
import { loadMailbox } from "../mailboxes.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import type { Services } from "../services.js";

export const mailboxStatusRoute = createRoute({
  method: "get",
  path: "/v1/mailboxes/{id}/status",
  tags: ["mailboxes"],
  summary:
    "Connection state per folder: connected (IDLE) / connecting / auth-failed / error, cursor, last event",
  security: bearer,
  request: { params: IdParam },
  responses: {
    200: { description: "Status", content: { "application/json": { schema: MailboxStatus } } },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});

// Worst first: one failing folder makes the mailbox not healthy.
const SEVERITY = ["auth-failed", "error", "connecting", "stopped", "unknown", "connected"] as const;

export function registerMailboxStatus(app: Api, svc: Services): void {
  app.openapi(mailboxStatusRoute, async (c) => {
    const tenantId = tenantOf(c, "read");
    const { id } = c.req.valid("param");
    const m = await loadMailbox(svc, tenantId, id);
    const statuses: Record<string, FolderStatus> = await svc.deps.store.getFolderStatuses(tenantId, id);
    const folders = await Promise.all(
      m.folders.map(async (folder) => {
        const s = statuses[folder];
        const cursor = await svc.deps.store.getCursor(tenantId, id, folder);
        return {
          folder,
          state: s?.state ?? ("unknown" as const),
          lastError: s?.lastError ?? null,
          since: s?.since ?? null,
          idleSince: s?.idleSince ?? null,
          lastEventAt: s?.lastEventAt ?? null,
          owner: s?.owner ?? null,
          cursor: cursor ? { uidValidity: cursor.uidValidity, lastUid: cursor.lastUid } : null,
        };
      }),
    );
    const worst = SEVERITY.find((st) => folders.some((f) => f.state === st)) ?? "unknown";
    const body: MailboxStatusT = { mailboxId: id, state: m.enabled ? worst : "disabled", folders };
    return c.json(body, 200);
  });
}
