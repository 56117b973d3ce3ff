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
    changes: `${prefix}:changes`,
  };
}
export type Keys = ReturnType<typeof keys>;
