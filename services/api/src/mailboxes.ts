import type { MailboxAuth, MailboxCreate } from "@mailhook/api-schema";
import type { CheckedAddress, Refusal } from "@mailhook/net";
import type { Mailbox, MailboxOAuth } from "@mailhook/store";
import { ApiError, type ErrorDetail } from "./errors.js";
import { refreshAccessToken, refreshFailedAtSave } from "./oauth-refresh.js";
import type { Services } from "./services.js";
import type { ProbeResult, ProbeTarget } from "./verify-mailbox.js";

/** What goes into the store for a mailbox's credentials: the login secret and the OAuth settings. */
export interface ResolvedAuth {
  user: string;
  /** The password, or the current XOAUTH2 access token. */
  secret: string;
  oauth: MailboxOAuth | null;
}

/**
 * Turns the posted auth into stored credentials. An OAuth2 mailbox given only a refresh token gets
 * its first access token now, so a wrong client id or revoked grant is reported at save time.
 */
export async function resolveAuth(svc: Services, tenantId: string, auth: MailboxAuth): Promise<ResolvedAuth> {
  if (auth.type === "password") return { user: auth.user, secret: auth.password, oauth: null };
  const oauth: MailboxOAuth = {
    tokenEndpoint: auth.tokenEndpoint ?? null,
    clientId: auth.clientId ?? null,
    clientSecret: auth.clientSecret ?? null,
    refreshToken: auth.refreshToken ?? null,
    scope: auth.scope ?? null,
    expiresAt: auth.accessToken && auth.expiresIn ? Date.now() + auth.expiresIn * 1000 : null,
  };
  if (auth.accessToken) {
    // Nothing is fetched now; the URL is still refused now rather than at the first refresh.
    if (oauth.tokenEndpoint) {
      const dest = await svc.outbound.checkUrl(oauth.tokenEndpoint, { tenantId });
      if (!dest.ok) throw destinationRefused(svc, "token endpoint", dest, "body.auth.tokenEndpoint");
    }
    return { user: auth.user, secret: auth.accessToken, oauth };
  }
  // The refresh below checks the URL itself, once, and connects to the address it checked.
  try {
    const grant = await refreshAccessToken(
      oauth,
      { outbound: svc.outbound, onDetail: (d) => svc.deps.log.info(d, "token endpoint detail") },
      tenantId,
    );
    return {
      user: auth.user,
      secret: grant.accessToken,
      oauth: { ...oauth, refreshToken: grant.refreshToken, expiresAt: grant.expiresAt },
    };
  } catch (err) {
    throw refreshFailedAtSave(err);
  }
}

/**
 * The outbound policy for a mailbox's server, on save and right before every login the API makes
 * itself (verify, test, dry run): IMAP_ALLOW and the tenant's allow-list, the operator's TLS
 * switches, and a name that does not resolve is refused. The answer is the address the login uses.
 */
export async function checkImapHost(
  svc: Services,
  tenantId: string,
  m: Pick<Mailbox, "host" | "port" | "tls" | "tlsVerify">,
): Promise<CheckedAddress> {
  const dest = await svc.outbound.checkImap(m, { tenantId });
  if (dest.ok) return dest;
  const path =
    dest.code !== "SETTING_FORBIDDEN"
      ? "body.host"
      : dest.message.startsWith("tls:")
        ? "body.tls"
        : "body.tlsVerify";
  throw destinationRefused(svc, "IMAP host", dest, path);
}

/** A 422 with the policy's tenant-safe words; the operator's log gets the addresses. */
export function destinationRefused(svc: Services, what: string, r: Refusal, path: string): ApiError {
  svc.deps.log.info({ reason: r.reason, code: r.code, what }, "destination refused");
  return new ApiError(422, "DESTINATION_REFUSED", `${what} refused: ${r.message}`, [
    { path, reason: r.message },
  ]);
}

export function probeTarget(
  m: Pick<Mailbox, "host" | "port" | "tls" | "tlsVerify" | "user">,
  secret: string,
  oauth: boolean,
  dest: CheckedAddress,
): ProbeTarget {
  return {
    dest,
    host: m.host,
    port: m.port,
    tls: m.tls,
    tlsVerify: m.tlsVerify,
    user: m.user,
    auth: oauth ? { type: "oauth2", accessToken: secret } : { type: "password", password: secret },
  };
}

export function verifyFailed(svc: Services, r: ProbeResult): ApiError {
  if (r.detail) svc.deps.log.info({ err: r.detail }, "mailbox login failed");
  return new ApiError(
    422,
    "MAILBOX_VERIFY_FAILED",
    r.authFailed ? "the server refused the credentials" : `could not log in: ${r.error ?? "unknown error"}`,
    [{ path: r.authFailed ? "body.auth" : "body.host", reason: r.error ?? "login failed" }],
  );
}

/**
 * The folders to watch. A SPECIAL-USE selection is resolved by listing the server's folders now;
 * with `verify`, named folders must exist on the server.
 */
export async function resolveFolders(
  svc: Services,
  selection: MailboxCreate["folders"],
  probe: () => Promise<ProbeResult>,
  verify: boolean,
): Promise<string[]> {
  if (Array.isArray(selection) && !verify) return [...new Set(selection)];
  const r = await probe();
  if (!r.ok) throw verifyFailed(svc, r);
  if (Array.isArray(selection)) {
    const known = new Set(r.folders.map((f) => f.path));
    const missing: ErrorDetail[] = selection.flatMap((f, i) =>
      known.has(f)
        ? []
        : [{ path: `body.folders[${i}]`, reason: `the server has no folder ${JSON.stringify(f)}` }],
    );
    if (missing.length)
      throw new ApiError(422, "MAILBOX_VERIFY_FAILED", "some folders do not exist", missing);
    return [...new Set(selection)];
  }
  const exclude = new Set<string>(selection.exclude);
  const folders = r.folders
    .filter((f) => f.specialUse === null || !exclude.has(f.specialUse))
    .map((f) => f.path);
  if (folders.length === 0)
    throw new ApiError(422, "MAILBOX_VERIFY_FAILED", "no folder is left after the SPECIAL-USE filter", [
      { path: "body.folders.exclude", reason: "excludes every folder" },
    ]);
  return folders;
}

/** The resource a tenant asked for, or 404 — the same answer whether it is missing or another tenant's. */
export async function loadMailbox(svc: Services, tenantId: string, id: string): Promise<Mailbox> {
  const m = await svc.deps.store.getMailbox(tenantId, id);
  if (!m) throw new ApiError(404, "NOT_FOUND", `mailbox ${JSON.stringify(id)} not found`);
  return m;
}

export function refuseManaged(kind: string, r: { managed?: string | undefined }, id: string): void {
  if (r.managed === "file")
    throw new ApiError(
      409,
      "MANAGED_BY_FILE",
      `${kind} ${JSON.stringify(id)} is managed by mailhook.yaml; change it there (the file is re-applied at start)`,
    );
}
