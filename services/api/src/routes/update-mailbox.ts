import { createRoute } from "@hono/zod-openapi";
import { IdParam, MailboxUpdate, MailboxView } from "@mailhook/api-schema";
import type { Mailbox } from "@mailhook/store";
import type { Api } from "../app.js";
import { errorResponses } from "../errors.js";
import {
  checkImapHost,
  loadMailbox,
  probeTarget,
  refuseManaged,
  resolveAuth,
  resolveFolders,
  verifyFailed,
} from "../mailboxes.js";
import { tenantOf } from "../middleware/auth.js";
import { bearer } from "../openapi.js";
import { mailboxQuotas, withinQuota } from "../quota-check.js";
import type { Services } from "../services.js";
import { mailboxView } from "../views.js";
import { VerifyQuery } from "./create-mailbox.js";

export const updateMailboxRoute = createRoute({
  method: "patch",
  path: "/v1/mailboxes/{id}",
  tags: ["mailboxes"],
  summary: "Change a mailbox; `enabled: false` stops its IDLE connection and releases its lease",
  security: bearer,
  request: {
    params: IdParam,
    query: VerifyQuery,
    body: { required: true, content: { "application/json": { schema: MailboxUpdate } } },
  },
  responses: {
    200: { description: "Updated", content: { "application/json": { schema: MailboxView } } },
    ...errorResponses(400, 401, 403, 404, 409, 413, 422, 429),
  },
});

export function registerUpdateMailbox(app: Api, svc: Services): void {
  app.openapi(updateMailboxRoute, async (c) => {
    const tenantId = tenantOf(c, "write");
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const verify = c.req.valid("query").verify === "true";
    const prev = await loadMailbox(svc, tenantId, id);
    refuseManaged("mailbox", prev, id);
    const connection = {
      host: body.host ?? prev.host,
      port: body.port ?? prev.port,
      tls: body.tls ?? prev.tls,
      tlsVerify: body.tlsVerify ?? prev.tlsVerify,
    };
    // A changed server or TLS setting is checked now; an unchanged one only before a login below.
    const changed = (["host", "port", "tls", "tlsVerify"] as const).some((k) => body[k] !== undefined);
    let dest = changed ? await checkImapHost(svc, tenantId, connection) : null;
    let oauth = await svc.oauth.get(tenantId, id);
    let user = prev.user;
    let secret = prev.password;
    if (body.auth) {
      const auth = await resolveAuth(svc, tenantId, body.auth);
      ({ user, secret } = auth);
      oauth = auth.oauth;
    }
    const next: Mailbox = {
      ...prev,
      ...(body.address !== undefined ? { address: body.address } : {}),
      ...(body.host !== undefined ? { host: body.host } : {}),
      ...(body.port !== undefined ? { port: body.port } : {}),
      ...(body.tls !== undefined ? { tls: body.tls } : {}),
      ...(body.tlsVerify !== undefined ? { tlsVerify: body.tlsVerify } : {}),
      ...(body.start !== undefined ? { start: body.start } : {}),
      ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
      user,
      password: secret,
      authMethod: oauth ? "xoauth2" : "password",
      updatedAt: new Date().toISOString(),
    };
    let probed: ReturnType<typeof svc.probe> | null = null;
    const probe = async () => {
      dest ??= await checkImapHost(svc, tenantId, connection);
      probed ??= svc.probe(probeTarget(next, secret, oauth !== null, dest));
      return probed;
    };
    if (body.folders !== undefined) next.folders = await resolveFolders(svc, body.folders, probe, verify);
    if (body.trashFolder === null) delete next.trashFolder;
    else if (body.trashFolder !== undefined) next.trashFolder = body.trashFolder;
    if (body.maxSessions === null) delete next.maxSessions;
    else if (body.maxSessions !== undefined) next.maxSessions = body.maxSessions;
    if (verify) {
      const r = await probe();
      if (!r.ok) throw verifyFailed(svc, r);
    }
    if (oauth) await svc.oauth.put(tenantId, id, oauth);
    else await svc.oauth.delete(tenantId, id);
    const adding = { mailboxes: 0, folders: next.folders.length - prev.folders.length };
    await withinQuota(svc, tenantId, mailboxQuotas(svc, tenantId, adding), () =>
      svc.deps.store.putMailbox(next),
    );
    return c.json(mailboxView(next, oauth), 200);
  });
}
