import type { z } from "@hono/zod-openapi";
import type {
  DeliverySummary,
  DeliveryView,
  EndpointView,
  MailboxView,
  RuleView,
} from "@mailhook/api-schema";
import { ImapAction } from "@mailhook/queue";
import {
  type CircuitState,
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
    ...(m.maxSessions ? { maxSessions: m.maxSessions } : {}),
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
export function endpointView(e: Endpoint, circuit: CircuitState): EndpointView {
  return {
    id: e.id,
    url: e.url,
    headers: Object.fromEntries(Object.keys(e.headers).map((k) => [k, MASKED])),
    enabled: e.enabled,
    state: e.enabled ? "enabled" : e.disabledReason?.includes("410") ? "gone" : "disabled",
    disabledReason: e.disabledReason,
    activeSecrets: signingSecrets(e).length,
    circuit: {
      state: circuit.state,
      failures: circuit.failures,
      openUntil: circuit.openUntil === null ? null : new Date(circuit.openUntil).toISOString(),
      opens: circuit.opens,
      inFlight: circuit.inFlight,
    },
    managed: e.managed,
    updatedAt: e.updatedAt,
  };
}

export function ruleView(r: StoredRule, etag: string, health?: RuleHealth | null): z.infer<typeof RuleView> {
  return { ...r, managed: r.managed ?? "api", etag: `"${etag}"`, ...(health ? { health } : {}) };
}

/** Watcher saw the UID → the delivered attempt's answer; from the record alone (no extra read). */
function endToEndMs(d: DeliveryRecord): number | null {
  const last = d.attempts[d.attempts.length - 1];
  if (d.status !== "delivered" || !last || !(d.seenAt > 0)) return null;
  return Math.max(0, Math.round(Date.parse(last.at) + last.latencyMs - d.seenAt));
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
    endToEndMs: endToEndMs(d),
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

const FollowUpActions = ImapAction.array();

export function deliveryView(d: DeliveryRecord): z.infer<typeof DeliveryView> {
  return {
    ...deliverySummary(d),
    attempts: d.attempts,
    body: d.body,
    followUps: (d.followUps ?? []).map((f) => {
      const actions = FollowUpActions.safeParse(f.data.actions);
      return {
        state: f.state,
        reason: f.reason,
        after: f.after,
        actions: actions.success ? actions.data : [],
      };
    }),
    seenAt: d.seenAt > 0 ? new Date(d.seenAt).toISOString() : null,
  };
}
