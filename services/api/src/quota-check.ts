import { listTenantMailboxes, type QuotaName } from "@mailhook/store";
import { ApiError } from "./errors.js";
import type { Services } from "./services.js";

export interface QuotaCheck {
  quota: QuotaName;
  /** How much of the quota the tenant uses now (read inside the lock). */
  used: () => Promise<number>;
  /** How much the write adds. */
  adding: number;
}

/** 409 naming the quota, its limit and the way out. */
export function quotaExceeded(quota: QuotaName, limit: number, used: number): ApiError {
  return new ApiError(
    409,
    "QUOTA_EXCEEDED",
    `quota ${quota} is ${limit} and this tenant uses ${used}; remove some first, or ask the operator to raise it`,
    [{ path: `quota.${quota}`, reason: `limit ${limit}, used ${used}` }],
  );
}

/**
 * Checks every quota the write touches and runs it, under the tenant's quota lock so parallel
 * requests (on any replica) cannot together pass a limit.
 */
export async function withinQuota<T>(
  svc: Services,
  tenantId: string,
  checks: QuotaCheck[],
  write: () => Promise<T>,
): Promise<T> {
  const growing = checks.filter((q) => q.adding > 0);
  if (growing.length === 0) return write();
  return svc.quotas.exclusive(tenantId, async () => {
    for (const q of growing) {
      const [limit, used] = await Promise.all([svc.quotas.limit(tenantId, q.quota), q.used()]);
      if (used + q.adding > limit) throw quotaExceeded(q.quota, limit, used);
    }
    return write();
  });
}

/** The mailbox and folder quotas of a write that adds these (the tenant's mailboxes are read once). */
export function mailboxQuotas(
  svc: Services,
  tenantId: string,
  adding: { mailboxes: number; folders: number },
) {
  let usage: Promise<{ mailboxes: number; folders: number }> | null = null;
  const read = () => {
    usage ??= listTenantMailboxes(svc.deps.store, tenantId).then((all) => ({
      mailboxes: all.length,
      folders: all.reduce((n, m) => n + m.folders.length, 0),
    }));
    return usage;
  };
  return [
    { quota: "mailboxes", adding: adding.mailboxes, used: async () => (await read()).mailboxes },
    { quota: "folders", adding: adding.folders, used: async () => (await read()).folders },
  ] satisfies QuotaCheck[];
}
