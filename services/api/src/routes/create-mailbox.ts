import { randomBytes } from "node:crypto";
import { createRoute, z } from "@hono/zod-openapi";
import { IdempotencyHeader, MailboxCreate, MailboxView } from "@mailhook/api-schema";
import type { Mailbox } from "@mailhook/store";
import type { Api } from "../app.js";
import { errorResponses } from "../errors.js";
import { idempotent } from "../idempotent.js";
import { checkImapHost, probeTarget, resolveAuth, resolveFolders, verifyFailed } from "../mailboxes.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import { mailboxQuotas, withinQuota } from "../quota-check.js";
import type { Services } from "../services.js";
import { mailboxView } from "../views.js";

export const VerifyQuery = z.object({
  verify: z
    .enum(["true", "false"])
    .optional()
    .openapi({ description: "Log in and list folders before saving; refuse with 422 if that fails" }),
});

export const createMailboxRoute = createRoute({
  method: "post",
  path: "/v1/mailboxes",
  tags: ["mailboxes"],
  summary: "Add a mailbox; watching starts within seconds",
  security: bearer,
  request: {
    query: VerifyQuery,
    headers: IdempotencyHeader,
    body: { required: true, content: { "application/json": { schema: MailboxCreate } } },
  },
  responses: {
    201: { description: "Created", content: { "application/json": { schema: MailboxView } } },
    ...errorResponses(400, 401, 403, 409, 413, 422, 429),
  },
});

export function registerCreateMailbox(app: Api, svc: Services): void {
  app.openapi(createMailboxRoute, async (c) => {
    const tenantId = tenantOf(c, "write");
    const body = c.req.valid("json");
    const verify = c.req.valid("query").verify === "true";
    const created = await idempotent(c, svc, tenantId, "create-mailbox", body, async () => {
      const dest = await checkImapHost(svc, tenantId, body);
      const auth = await resolveAuth(svc, tenantId, body.auth);
      const target = probeTarget({ ...body, user: auth.user }, auth.secret, auth.oauth !== null, dest);
      let probed: ReturnType<typeof svc.probe> | null = null;
      const probe = () => {
        probed ??= svc.probe(target);
        return probed;
      };
      const folders = await resolveFolders(svc, body.folders, probe, verify);
      if (verify) {
        const r = await probe();
        if (!r.ok) throw verifyFailed(svc, r);
      }
      const mailbox: Mailbox = {
        tenantId,
        id: `mbx_${randomBytes(9).toString("base64url")}`,
        address: body.address,
        host: body.host,
        port: body.port,
        tls: body.tls,
        tlsVerify: body.tlsVerify,
        user: auth.user,
        password: auth.secret,
        authMethod: auth.oauth ? "xoauth2" : "password",
        folders,
        ...(body.trashFolder ? { trashFolder: body.trashFolder } : {}),
        ...(body.maxSessions ? { maxSessions: body.maxSessions } : {}),
        start: body.start,
        enabled: body.enabled,
        managed: "api",
        updatedAt: new Date().toISOString(),
      };
      await withinQuota(
        svc,
        tenantId,
        mailboxQuotas(svc, tenantId, { mailboxes: 1, folders: folders.length }),
        async () => {
          // OAuth settings first: a watcher that sees the mailbox must find how to refresh its token.
          if (auth.oauth) await svc.oauth.put(tenantId, mailbox.id, auth.oauth);
          await svc.deps.store.putMailbox(mailbox);
        },
      );
      return {
        body: mailboxView(mailbox, auth.oauth),
        headers: { Location: `/v1/mailboxes/${mailbox.id}` },
      };
    });
    return c.json(created, 201);
  });
}
