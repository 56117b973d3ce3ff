import { folderKey } from "@mailhook/model";

/**
 * Every Redis key mailhook writes, in one place. `prefix` isolates installations (and tests)
 * sharing one Redis.
 *
 * Redis Cluster: every MULTI and Lua script touches keys of one hash tag only, so keys written
 * together share a `{…}` part (the layout is in docs/architecture.md):
 * - per mailbox `{tenant/mailbox}`: lease, status, cursors (the fenced writes check the lease in
 *   the same script), worker IMAP session leases;
 * - per tenant `{tenant}`: rules + rules version, the delivery index + dead-letter index;
 * - per endpoint `{tenant/endpoint}`: circuit + slots;
 * - per watcher cell `{…}` of the membership: members set (one key).
 * Everything else is a single key, written alone. A prefix that itself holds a hash tag (`{mh}`)
 * puts every key in one slot: correct everywhere, but then one Cluster node holds all of it.
 */
export function keys(prefix: string) {
  const ref = (tenantId: string, mailboxId: string) => `${tenantId}/${mailboxId}`;
  const mbx = (tenantId: string, mailboxId: string) => `{${ref(tenantId, mailboxId)}}`;
  return {
    ref,
    mailboxes: `${prefix}:mailboxes`,
    endpoints: (tenantId: string) => `${prefix}:endpoints:${tenantId}`,
    rules: (tenantId: string) => `${prefix}:rules:{${tenantId}}`,
    rulesVersion: (tenantId: string) => `${prefix}:rules-version:{${tenantId}}`,
    /** Per rule of a tenant: how often it ran out of evaluation budget, and whether it is suspended. */
    ruleHealth: (tenantId: string) => `${prefix}:rule-health:{${tenantId}}`,
    tenants: `${prefix}:tenants`,
    cursor: (tenantId: string, mailboxId: string, folder: string) =>
      `${prefix}:cursor:${mbx(tenantId, mailboxId)}:${folderKey(folder)}`,
    status: (tenantId: string, mailboxId: string) => `${prefix}:status:${mbx(tenantId, mailboxId)}`,
    lease: (tenantId: string, mailboxId: string) => `${prefix}:lease:${mbx(tenantId, mailboxId)}`,
    events: (tenantId: string) => `${prefix}:events:${tenantId}`,
    delivery: (id: string) => `${prefix}:delivery:${id}`,
    deliveries: (tenantId: string) => `${prefix}:deliveries:{${tenantId}}`,
    /** Failed and dead-lettered deliveries of one endpoint (score: when), for listing and bulk replay. */
    dead: (tenantId: string, endpointId: string) => `${prefix}:dead:{${tenantId}}:${endpointId}`,
    /** Steps of one `mail.act` job already done, so a retried job does not repeat a COPY. */
    actSteps: (jobId: string) => `${prefix}:act:${jobId}`,
    /** Circuit breaker and concurrency slots of one endpoint; one hash tag so a script sees both. */
    circuit: (tenantId: string, endpointId: string) => `${prefix}:circuit:{${ref(tenantId, endpointId)}}`,
    slots: (tenantId: string, endpointId: string) => `${prefix}:slots:{${ref(tenantId, endpointId)}}`,
    /** Worker IMAP session leases of one mailbox (`<workerId>#<n>` → expiry); see session-budget.ts. */
    imapSessions: (tenantId: string, mailboxId: string) =>
      `${prefix}:imap-sessions:${mbx(tenantId, mailboxId)}`,
    /** Inline first attempts without a recorded outcome yet (score: their deadline); see inline-pending.ts. */
    inlinePending: `${prefix}:inline-pending`,
    changes: `${prefix}:changes`,
    /** Live watcher replicas: member id → heartbeat deadline (ms since epoch) and capacity. */
    members: `${prefix}:watchers`,
    /** Live worker replicas (same shape), for routing jobs to the worker holding a mailbox's sessions. */
    workers: `${prefix}:workers`,
    /** Worker ids that have (or had) an affinity queue; dead ones' queues are moved back to the shared one. */
    affinityQueues: `${prefix}:affinity-queues`,
    /** Channel prefix: `<presence>:<watcher id>` has one subscriber while that replica runs (presence.ts). */
    presence: `${prefix}:presence`,
    /** Published when a watcher releases mailboxes (SIGTERM, hand-over), so their new owner starts at once. */
    released: `${prefix}:released`,
    /** Pipeline counters shared by all workers (hash of monotonically growing numbers). */
    metrics: `${prefix}:metrics`,
  };
}
export type Keys = ReturnType<typeof keys>;

/**
 * Keys whose names changed when the layout got hash tags (≤ cdef32d): kind → old remainder → new
 * remainder (null: not an old key). For the one-time rename at start on a single Redis.
 */
export const LEGACY_RENAMES: Record<string, (rest: string) => string | null> = {
  rules: (rest) => `{${rest}}`,
  "rules-version": (rest) => `{${rest}}`,
  deliveries: (rest) => `{${rest}}`,
  // `tenant/endpoint` → `{tenant}:endpoint` (ids never hold '/').
  dead: (rest) => (rest.includes("/") ? `{${rest.replace("/", "}:")}` : null),
  status: (rest) => `{${rest}}`,
  // `tenant/mailbox:folderKey` (folder keys are percent-encoded: the last ':' splits).
  cursor: (rest) => {
    const cut = rest.lastIndexOf(":");
    return cut > 0 ? `{${rest.slice(0, cut)}}${rest.slice(cut)}` : null;
  },
};
