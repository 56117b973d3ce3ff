/** Ids of one tenant's resources, substituted into route paths. */
export interface ResourceIds {
  tenantId: string;
  tokenId: string;
  mailbox: string;
  endpoint: string;
  rule: string;
  delivery: string;
}

export interface RouteCase {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Hono-style template: `:id` is replaced per resource kind. */
  path: string;
  kind: "tenant" | "admin";
  /** Which id `:id` means. */
  id?: keyof Omit<ResourceIds, "tenantId" | "tokenId">;
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  /**
   * What the tenant's own ids answer instead of 2xx: a refusal the matrix cannot avoid without a
   * live IMAP server (the populated mailbox points at a closed port, and no backfill exists).
   */
  ownStatus?: number;
}

const eml = "From: a@vendor.com\r\nSubject: Invoice 1\r\n\r\nhello\r\n";

/** Every /v1 route with a plausible valid body: the tenant-isolation matrix and the fuzzer walk it. */
export function routeCases(ids: ResourceIds): RouteCase[] {
  return [
    { method: "POST", path: "/v1/tenants", kind: "admin", body: { name: "x" } },
    { method: "GET", path: "/v1/tenants", kind: "admin" },
    { method: "GET", path: "/v1/tenants/:tenantId", kind: "admin" },
    { method: "POST", path: "/v1/tenants/:tenantId/tokens", kind: "admin", body: { name: "x" } },
    { method: "GET", path: "/v1/tenants/:tenantId/tokens", kind: "admin" },
    { method: "GET", path: "/v1/tenants/:tenantId/outbound-allow", kind: "admin" },
    {
      method: "PUT",
      path: "/v1/tenants/:tenantId/outbound-allow",
      kind: "admin",
      body: { webhookAllow: [], imapAllow: [] },
    },
    { method: "DELETE", path: "/v1/tenants/:tenantId/tokens/:tokenId", kind: "admin" },
    { method: "POST", path: "/v1/admin/reseal", kind: "admin" },
    {
      method: "POST",
      path: "/v1/mailboxes",
      kind: "tenant",
      body: {
        address: "a@b.test",
        host: "127.0.0.1",
        port: 1,
        tls: "none",
        auth: { type: "password", user: "u", password: "p" },
      },
    },
    { method: "GET", path: "/v1/token", kind: "tenant" },
    { method: "GET", path: "/v1/mailboxes", kind: "tenant" },
    { method: "GET", path: "/v1/mailboxes/:id", kind: "tenant", id: "mailbox" },
    { method: "PATCH", path: "/v1/mailboxes/:id", kind: "tenant", id: "mailbox", body: { enabled: false } },
    { method: "DELETE", path: "/v1/mailboxes/:id", kind: "tenant", id: "mailbox" },
    { method: "POST", path: "/v1/mailboxes/:id/test", kind: "tenant", id: "mailbox" },
    { method: "GET", path: "/v1/mailboxes/:id/status", kind: "tenant", id: "mailbox" },
    {
      method: "POST",
      path: "/v1/mailboxes/:id/backfill",
      kind: "tenant",
      id: "mailbox",
      body: { since: "2026-01-01" },
      ownStatus: 422,
    },
    { method: "GET", path: "/v1/backfills/:id", kind: "tenant", id: "mailbox", ownStatus: 404 },
    { method: "POST", path: "/v1/endpoints", kind: "tenant", body: { url: "http://127.0.0.1:9/x" } },
    { method: "GET", path: "/v1/endpoints", kind: "tenant" },
    { method: "GET", path: "/v1/endpoints/:id", kind: "tenant", id: "endpoint" },
    {
      method: "PATCH",
      path: "/v1/endpoints/:id",
      kind: "tenant",
      id: "endpoint",
      body: { headers: { "X-A": "1" } },
    },
    { method: "DELETE", path: "/v1/endpoints/:id", kind: "tenant", id: "endpoint" },
    {
      method: "POST",
      path: "/v1/endpoints/:id/rotate-secret",
      kind: "tenant",
      id: "endpoint",
      body: { overlapSeconds: 0 },
    },
    { method: "POST", path: "/v1/rules/reorder", kind: "tenant", body: { ids: [ids.rule] } },
    {
      method: "POST",
      path: "/v1/rules",
      kind: "tenant",
      body: { name: "r", actions: [{ type: "flag", add: ["\\Seen"] }] },
    },
    { method: "GET", path: "/v1/rules", kind: "tenant" },
    { method: "GET", path: "/v1/rules/:id", kind: "tenant", id: "rule" },
    {
      method: "PUT",
      path: "/v1/rules/:id",
      kind: "tenant",
      id: "rule",
      body: { name: "r2", actions: [{ type: "flag", add: ["\\Seen"] }] },
      headers: { "if-match": "*" },
    },
    { method: "DELETE", path: "/v1/rules/:id", kind: "tenant", id: "rule" },
    { method: "POST", path: "/v1/rules/:id/enable", kind: "tenant", id: "rule" },
    { method: "POST", path: "/v1/rules/:id/disable", kind: "tenant", id: "rule" },
    { method: "POST", path: "/v1/rules/test", kind: "tenant", body: eml, contentType: "message/rfc822" },
    { method: "GET", path: "/v1/deliveries", kind: "tenant" },
    { method: "GET", path: "/v1/deliveries/:id", kind: "tenant", id: "delivery" },
    { method: "POST", path: "/v1/deliveries/:id/replay", kind: "tenant", id: "delivery" },
    { method: "POST", path: "/v1/endpoints/:id/replay-dead", kind: "tenant", id: "endpoint" },
    { method: "POST", path: "/v1/endpoints/:id/test", kind: "tenant", id: "endpoint" },
    { method: "GET", path: "/v1/tenants/:tenantId/quotas", kind: "admin" },
    { method: "PATCH", path: "/v1/tenants/:tenantId/quotas", kind: "admin", body: { endpoints: 100 } },
    // Last: it removes the tenant the cases before it work on.
    { method: "DELETE", path: "/v1/tenants/:tenantId", kind: "admin" },
  ];
}

export function fillPath(c: RouteCase, ids: ResourceIds): string {
  return c.path
    .replace(":tenantId", encodeURIComponent(ids.tenantId))
    .replace(":tokenId", encodeURIComponent(ids.tokenId))
    .replace(":id", c.id ? encodeURIComponent(ids[c.id]) : "");
}
