import type { Endpoint, Mailbox, Store } from "@mailhook/store";

/** How long an entry may be served: fixed, or asked at every lookup (see createConfigCaches). */
export type MaxAge = number | (() => number);

export const maxAgeNow = (m: MaxAge): number => (typeof m === "number" ? m : m());

/**
 * Records of one kind as the worker sees them, read from the store (and unsealed) at most once per
 * `maxAgeMs` per record. The worker forgets a record on the store's change notice, so an edit
 * applies at once; the age bound only covers a missed notice.
 */
export function createRecordCache<T>(
  read: (tenantId: string, id: string) => Promise<T | null>,
  maxAgeMs: MaxAge,
) {
  const cache = new Map<string, { at: number; value: Promise<T | null> }>();
  const key = (tenantId: string, id: string) => `${tenantId}/${id}`;
  return {
    get(tenantId: string, id: string): Promise<T | null> {
      const k = key(tenantId, id);
      const hit = cache.get(k);
      if (hit && Date.now() - hit.at < maxAgeNow(maxAgeMs)) return hit.value;
      const value = read(tenantId, id);
      cache.set(k, { at: Date.now(), value });
      // A failed read is not cached.
      value.catch(() => cache.delete(k));
      return value;
    },
    forget(tenantId: string, id: string): void {
      cache.delete(key(tenantId, id));
    },
    /** Drops every entry (notices may have been missed). */
    clear(): void {
      cache.clear();
    },
  };
}
export type RecordCache<T> = ReturnType<typeof createRecordCache<T>>;

/** Mailboxes by (tenant, id); see createRecordCache. */
export function createMailboxCache(store: Store, maxAgeMs: MaxAge = 1_000): RecordCache<Mailbox> {
  return createRecordCache((t, id) => store.getMailbox(t, id), maxAgeMs);
}
export type MailboxCache = RecordCache<Mailbox>;

/** Endpoints by (tenant, id), shared by mail.process and the deliverer; see createRecordCache. */
export function createEndpointCache(store: Store, maxAgeMs: MaxAge = 1_000): RecordCache<Endpoint> {
  return createRecordCache((t, id) => store.getEndpoint(t, id), maxAgeMs);
}
export type EndpointCache = RecordCache<Endpoint>;
