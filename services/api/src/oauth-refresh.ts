import type { Logger } from "@mailhook/log";
import { type OutboundPolicy, pinnedPost } from "@mailhook/net";
import type { MailboxOAuth, MailboxOAuthStore, Store } from "@mailhook/store";
import { ApiError } from "./errors.js";

export interface TokenGrant {
  accessToken: string;
  /** ms; null when the provider did not say. */
  expiresAt: number | null;
  /** A rotated refresh token when the provider sent one, else the one used. */
  refreshToken: string | null;
}

export class OAuthRefreshFailed extends Error {
  constructor(
    message: string,
    /** Set when the outbound policy refused the token endpoint (nothing was sent). */
    readonly refused = false,
  ) {
    super(message);
    this.name = "OAuthRefreshFailed";
  }
}

export interface OAuthHttp {
  /** The token endpoint is a URL tenants give: checked like a webhook URL and connected to pinned. */
  outbound: OutboundPolicy;
  timeoutMs?: number;
  /** Receives what the tenant is not shown (the policy's detail, the endpoint's own answer). */
  onDetail?: (detail: Record<string, unknown>) => void;
}

/** RFC 6749 §5.2 error codes: the only part of a token endpoint's answer a tenant is shown. */
const OAUTH_ERRORS = new Set([
  "invalid_request",
  "invalid_client",
  "invalid_grant",
  "unauthorized_client",
  "unsupported_grant_type",
  "invalid_scope",
]);

/**
 * The refresh-token grant (RFC 6749 §6), client credentials in the form body (what Google and
 * Microsoft accept). The request goes to the address the outbound policy checked, resolved once
 * (no second lookup by an HTTP client). Error messages carry a standard OAuth `error` code at most,
 * never a token and never other text from the answer (the endpoint could be an internal service
 * answering with its own data).
 */
export async function refreshAccessToken(
  o: MailboxOAuth,
  http: OAuthHttp,
  tenantId: string,
  now = Date.now(),
): Promise<TokenGrant> {
  if (!o.tokenEndpoint || !o.clientId || !o.refreshToken)
    throw new OAuthRefreshFailed("no refresh token, token endpoint or client id configured");
  const dest = await http.outbound.checkUrl(o.tokenEndpoint, { tenantId });
  if (!dest.ok) {
    http.onDetail?.({ reason: dest.reason, code: dest.code });
    throw new OAuthRefreshFailed(`token endpoint refused: ${dest.message}`, true);
  }
  const form = new URLSearchParams({
    grant_type: "refresh_token",
    refresh_token: o.refreshToken,
    client_id: o.clientId,
  });
  if (o.clientSecret) form.set("client_secret", o.clientSecret);
  if (o.scope) form.set("scope", o.scope);
  let res: { status: number; text: string };
  try {
    res = await pinnedPost({
      dest,
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: form.toString(),
      timeoutMs: http.timeoutMs ?? 10_000,
    });
  } catch (err) {
    http.onDetail?.({ err: err instanceof Error ? err.message : String(err), address: dest.address });
    throw new OAuthRefreshFailed("token endpoint unreachable: connection failed");
  }
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(res.text) as Record<string, unknown>;
  } catch {
    // reported below
  }
  const ok = res.status >= 200 && res.status < 300;
  if (!ok || typeof json.access_token !== "string" || json.access_token === "") {
    const code =
      typeof json.error === "string" && OAUTH_ERRORS.has(json.error)
        ? json.error
        : ok
          ? "no access_token in the answer"
          : "no standard OAuth error code in the answer";
    http.onDetail?.({
      status: res.status,
      error: typeof json.error === "string" ? json.error.slice(0, 100) : null,
    });
    throw new OAuthRefreshFailed(`token endpoint answered ${res.status}: ${code}`);
  }
  const expiresIn = Number(json.expires_in);
  return {
    accessToken: json.access_token,
    expiresAt: Number.isFinite(expiresIn) && expiresIn > 0 ? now + expiresIn * 1000 : null,
    refreshToken:
      typeof json.refresh_token === "string" && json.refresh_token ? json.refresh_token : o.refreshToken,
  };
}

export interface RefresherDeps {
  store: Store;
  oauth: MailboxOAuthStore;
  http: OAuthHttp;
  log: Logger;
}

/**
 * Refreshes one mailbox's access token and saves it: the new access token becomes the mailbox's
 * sealed password (the store's change notice makes the watcher log in again with it), and a rotated
 * refresh token replaces the old one, which the provider may already have invalidated.
 */
export async function refreshMailbox(
  deps: RefresherDeps,
  tenantId: string,
  mailboxId: string,
): Promise<boolean> {
  if (!(await deps.oauth.lock(tenantId, mailboxId, 30_000))) return false;
  try {
    const o = await deps.oauth.get(tenantId, mailboxId);
    const m = await deps.store.getMailbox(tenantId, mailboxId);
    if (!o || !m) return false;
    const grant = await refreshAccessToken(o, deps.http, tenantId);
    await deps.oauth.put(tenantId, mailboxId, {
      ...o,
      refreshToken: grant.refreshToken,
      expiresAt: grant.expiresAt,
    });
    await deps.store.putMailbox({ ...m, password: grant.accessToken, updatedAt: new Date().toISOString() });
    deps.log.info({ tenantId, mailboxId, expiresAt: grant.expiresAt }, "oauth access token refreshed");
    return true;
  } finally {
    await deps.oauth.unlock(tenantId, mailboxId);
  }
}

export interface RefresherOptions {
  /** How often to look for tokens about to expire. */
  intervalMs?: number;
  /** Refresh this long before expiry. */
  skewMs?: number;
}

/** Refreshes every OAuth mailbox whose access token expires within `skewMs`, every `intervalMs`. */
export function startOAuthRefresher(
  deps: RefresherDeps,
  opts: RefresherOptions = {},
): { stop(): Promise<void> } {
  const interval = opts.intervalMs ?? 60_000;
  const skew = opts.skewMs ?? 5 * 60_000;
  let running: Promise<void> = Promise.resolve();
  const tick = async () => {
    for (const { tenantId, mailboxId, oauth } of await deps.oauth.all()) {
      if (!oauth.refreshToken || oauth.expiresAt === null || oauth.expiresAt - Date.now() > skew) continue;
      try {
        await refreshMailbox(deps, tenantId, mailboxId);
      } catch (err) {
        deps.log.warn(
          { tenantId, mailboxId, err: err instanceof Error ? err.message : String(err) },
          "oauth refresh failed",
        );
      }
    }
  };
  const timer = setInterval(() => {
    running = running.then(tick).catch((err: unknown) => {
      deps.log.warn({ err: err instanceof Error ? err.message : String(err) }, "oauth refresher failed");
    });
  }, interval);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/** For the API: a refresh failure at save time is the caller's configuration problem. */
export function refreshFailedAtSave(err: unknown): ApiError {
  if (err instanceof OAuthRefreshFailed && err.refused)
    return new ApiError(422, "DESTINATION_REFUSED", err.message, [
      { path: "body.auth.tokenEndpoint", reason: err.message },
    ]);
  return new ApiError(
    422,
    "MAILBOX_VERIFY_FAILED",
    err instanceof Error ? err.message : "token refresh failed",
    [{ path: "body.auth", reason: "the token endpoint did not issue an access token" }],
  );
}
