import { type AllowList, mergeAllowLists, parseAllowList } from "./allow-list.js";
import { type CheckedAddress, checkAddress, type Refusal, refusal, type Verdict } from "./destination.js";
import { createResolver, type Resolve } from "./resolver.js";

/** Which allow-list applies: HTTP destinations (webhooks, OAuth token endpoints) or IMAP servers. */
export type OutboundKind = "http" | "imap";

/** Extra allow-list entries an operator set for one tenant. */
export type TenantAllow = Partial<Record<OutboundKind, string[]>>;

export interface OutboundPolicyOptions {
  /** Global allow-lists: `http` is WEBHOOK_ALLOW, `imap` is IMAP_ALLOW. */
  allow?: TenantAllow;
  /** Defaults to the system resolver; createResolver({ servers }) for MAILHOOK_DNS_SERVERS. */
  resolve?: Resolve;
  /** The operator's per-tenant entries (read at every check, so an edit applies at the next connect). */
  tenantAllow?: (tenantId: string) => Promise<TenantAllow | null>;
  /** WEBHOOK_REQUIRE_HTTPS: http:// webhook and token endpoint URLs are refused. */
  requireHttps?: boolean;
  /** IMAP_REQUIRE_TLS: mailboxes with `tls: none` are refused. */
  requireTls?: boolean;
  /** IMAP_REQUIRE_TLS_VERIFY: mailboxes with `tlsVerify: false` are refused. */
  requireTlsVerify?: boolean;
}

export interface CheckOptions {
  /** Whose allow-list applies besides the global one. */
  tenantId?: string | undefined;
}

export type UrlVerdict = ({ ok: true; url: URL } & CheckedAddress) | Refusal;

export interface ImapSettings {
  host: string;
  port: number;
  tls: "implicit" | "starttls" | "none";
  tlsVerify: boolean;
}

/**
 * The one outbound-connection policy: every connection a tenant can aim (webhooks, IMAP logins
 * from the API, watcher and worker, OAuth token endpoints) asks it right before connecting, and
 * connects to exactly the address it answers, never looking the name up again.
 */
export interface OutboundPolicy {
  /** A webhook or token endpoint URL: http(s) only, no credentials in it, then its host and port. */
  checkUrl(url: string, opts?: CheckOptions): Promise<UrlVerdict>;
  /** An IMAP server: the operator's TLS switches, then its host and port. */
  checkImap(target: ImapSettings, opts?: CheckOptions): Promise<Verdict>;
  /** Parses entries as the policy would (for validating a tenant's list before it is saved). */
  parse(entries: readonly string[]): AllowList;
}

const SETTING: Record<OutboundKind, string> = { http: "WEBHOOK_ALLOW", imap: "IMAP_ALLOW" };

/**
 * @example
 * const policy = createOutboundPolicy({ allow: { http: env.WEBHOOK_ALLOW, imap: env.IMAP_ALLOW } });
 * const dest = await policy.checkUrl(endpoint.url, { tenantId });
 * if (dest.ok) await deliver({ url: dest.url, address: dest.address, family: dest.family, … });
 * else log.warn({ reason: dest.reason }, "refused"); // dest.message is what the tenant sees
 */
export function createOutboundPolicy(opts: OutboundPolicyOptions = {}): OutboundPolicy {
  const global: Record<OutboundKind, AllowList> = {
    http: parseAllowList(opts.allow?.http ?? []),
    imap: parseAllowList(opts.allow?.imap ?? []),
  };
  const resolve = opts.resolve ?? createResolver();

  async function allowFor(kind: OutboundKind, tenantId: string | undefined): Promise<AllowList> {
    if (!tenantId || !opts.tenantAllow) return global[kind];
    const own = (await opts.tenantAllow(tenantId))?.[kind] ?? [];
    if (own.length === 0) return global[kind];
    try {
      return mergeAllowLists(global[kind], parseAllowList(own));
    } catch {
      // Validated when saved; an entry that no longer parses admits nothing extra.
      return global[kind];
    }
  }

  const settingFor = (kind: OutboundKind, tenantId: string | undefined) =>
    opts.tenantAllow && tenantId ? `${SETTING[kind]} or the tenant's allow-list` : SETTING[kind];

  return {
    async checkUrl(url, o = {}) {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        return refusal("DESTINATION_REFUSED", "not a valid URL");
      }
      if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
        return refusal(
          "DESTINATION_REFUSED",
          `scheme ${parsed.protocol.replace(/:$/, "")} is not allowed (http or https only)`,
        );
      if (parsed.protocol === "http:" && opts.requireHttps)
        return refusal(
          "SETTING_FORBIDDEN",
          "plain http is forbidden by the operator (WEBHOOK_REQUIRE_HTTPS); use https",
        );
      if (parsed.username !== "" || parsed.password !== "")
        // URLs end up in logs and delivery records: custom headers carry auth.
        return refusal(
          "DESTINATION_REFUSED",
          "credentials in the URL are not supported (use a custom Authorization header)",
        );
      const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
      const port = parsed.port === "" ? (parsed.protocol === "https:" ? 443 : 80) : Number(parsed.port);
      const allow = await allowFor("http", o.tenantId);
      const v = await checkAddress(host, port, allow, resolve, settingFor("http", o.tenantId));
      return v.ok ? { ...v, url: parsed } : v;
    },

    async checkImap(target, o = {}) {
      if (target.tls === "none" && opts.requireTls)
        return refusal(
          "SETTING_FORBIDDEN",
          "tls: none is forbidden by the operator (IMAP_REQUIRE_TLS); use implicit or starttls",
        );
      if (!target.tlsVerify && opts.requireTlsVerify)
        return refusal(
          "SETTING_FORBIDDEN",
          "tlsVerify: false is forbidden by the operator (IMAP_REQUIRE_TLS_VERIFY); use a trusted certificate",
        );
      const host = target.host.replace(/^\[(.*)\]$/, "$1");
      const allow = await allowFor("imap", o.tenantId);
      return checkAddress(host, target.port, allow, resolve, settingFor("imap", o.tenantId));
    },

    parse: parseAllowList,
  };
}
