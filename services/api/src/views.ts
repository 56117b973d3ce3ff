import type { z } from "@hono/zod-openapi";
import type {
  DeliverySummary,
  DeliveryView,
  EndpointView,
  MailboxView,
  RuleView,
} from "@mailhook/api-schema";
import {
  type DeliveryRecord,
  type Endpoint,
  type Mailbox,
  type MailboxOAuth,
  type RuleHealth,
  type StoredRule,
  signingSecrets,
} from "@mailhook/store";

/** The API's view of a mailbox: connection settings and auth kind, never a credential. */
export function mailboxView(m: Omit<Mailbox, "password">, oauth: MailboxOAuth | null): MailboxView {
  return {
    id: m.id,
    address: m.address,
    host: m.host,
    port: m.port,
    tls: m.tls,
    tlsVerify: m.tlsVerify,
    auth: oauth
      ? {
          type: "oauth2",
          user: m.user,
          tokenEndpoint: oauth.tokenEndpoint,
          clientId: oauth.clientId,
          scope: oauth.scope,
          hasRefreshToken: oauth.refreshToken !== null,
          accessTokenExpiresAt: oauth.expiresAt === null ? null : new Date(oauth.expiresAt).toISOString(),
        }
      : { type: "password", user: m.user },
    folders: m.folders,
    ...(m.trashFolder ? { trashFolder: m.trashFolder } : {}),
    start: m.start,
    enabled: m.enabled,
    managed: m.managed,
    updatedAt: m.updatedAt,
  };
}

export const MASKED = "[redacted]";

/**
 * Custom header values are never shown, only their names: which header carries a credential is
 * the tenant's choice (`X-Acme-Sig`), so no name-based guess can tell which values are safe.
 */
export function endpointView(e: Endpoint): EndpointView {
  return {
    id: e.id,
    url: e.url,
    headers: Object.fromEntries(Object.keys(e.headers).map((k) => [k, MASKED])),
    enabled: e.enabled,
    state: e.enabled ? "enabled" : e.disabledReason?.includes("410") ? "gone" : "disabled",
    disabledReason: e.disabledReason,
    activeSecrets: signingSecrets(e).length,
    managed: e.managed,
    updatedAt: e.updatedAt,
  };
}

export function ruleView(r: StoredRule, etag: string, health?: RuleHealth | null): z.infer<typeof RuleView> {
  return { ...r, managed: r.managed ?? "api", etag: `"${etag}"`, ...(health ? { health } : {}) };
}

export function deliverySummary(d: DeliveryRecord): z.infer<typeof DeliverySummary> {
  return {
    id: d.id,
    status: d.status,
    endpointId: d.endpointId,
    ruleId: d.ruleId,
    mailboxId: d.mailboxId,
    folder: d.folder,
    uidValidity: d.uidValidity,
    uid: d.uid,
    attempts: d.attempts.length,
    lastError: d.lastError,
    ...(d.stage ? { stage: d.stage } : {}),
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

export function deliveryView(d: DeliveryRecord): z.infer<typeof DeliveryView> {
  return { ...deliverySummary(d), attempts: d.attempts, body: d.body };
}
