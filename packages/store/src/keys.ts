import { folderKey } from "@mailhook/model";

/**
 * Every Redis key mailhook writes, in one place. `prefix` isolates installations (and tests)
 * sharing one Redis.
 */
export function keys(prefix: string) {
  const ref = (tenantId: string, mailboxId: string) => `${tenantId}/${mailboxId}`;
  return {
    ref,
    mailboxes: `${prefix}:mailboxes`,
    endpoints: (tenantId: string) => `${prefix}:endpoints:${tenantId}`,
    rules: (tenantId: string) => `${prefix}:rules:${tenantId}`,
    rulesVersion: (tenantId: string) => `${prefix}:rules-version:${tenantId}`,
    tenants: `${prefix}:tenants`,
    cursor: (tenantId: string, mailboxId: string, folder: string) =>
      `${prefix}:cursor:${ref(tenantId, mailboxId)}:${folderKey(folder)}`,
    status: (tenantId: string, mailboxId: string) => `${prefix}:status:${ref(tenantId, mailboxId)}`,
    lease: (tenantId: string, mailboxId: string) => `${prefix}:lease:${ref(tenantId, mailboxId)}`,
    events: (tenantId: string) => `${prefix}:events:${tenantId}`,
    delivery: (id: string) => `${prefix}:delivery:${id}`,
    deliveries: (tenantId: string) => `${prefix}:deliveries:${tenantId}`,
    /** Failed and dead-lettered deliveries of one endpoint (score: when), for listing and bulk replay. */
    dead: (tenantId: string, endpointId: string) => `${prefix}:dead:${ref(tenantId, endpointId)}`,
    /** Steps of one `mail.act` job already done, so a retried job does not repeat a COPY. */
    actSteps: (jobId: string) => `${prefix}:act:${jobId}`,
    /** Circuit breaker and concurrency slots of one endpoint; one hash tag so a script sees both. */
    circuit: (tenantId: string, endpointId: string) => `${prefix}:circuit:{${ref(tenantId, endpointId)}}`,
    slots: (tenantId: string, endpointId: string) => `${prefix}:slots:{${ref(tenantId, endpointId)}}`,
    /** Inline first attempts without a recorded outcome yet (score: their deadline); see inline-pending.ts. */
    inlinePending: `${prefix}:inline-pending`,
    changes: `${prefix}:changes`,
    /** Pipeline counters shared by all workers (hash of monotonically growing numbers). */
    metrics: `${prefix}:metrics`,
  };
}
export type Keys = ReturnType<typeof keys>;
