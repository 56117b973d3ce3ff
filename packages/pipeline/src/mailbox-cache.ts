import type { Mailbox, Store } from "@mailhook/store";

/**
 * Mailboxes as the worker sees them, read from the store (and unsealed) at most once per `maxAgeMs`
 * per mailbox. The worker forgets a mailbox on the store's change notice, so an edit applies at
 * once; the age bound only covers a missed notice.
 */
export function createMailboxCache(store: Store, maxAgeMs = 1_000) {
  const cache = new Map<string, { at: number; mailbox: Promise<Mailbox | null> }>();
  const key = (tenantId: string, id: string) => `${tenantId}/${id}`;
  return {
    get(tenantId: string, id: string): Promise<Mailbox | null> {
      const k = key(tenantId, id);
      const hit = cache.get(k);
      if (hit && Date.now() - hit.at < maxAgeMs) return hit.mailbox;
      const mailbox = store.getMailbox(tenantId, id);
      cache.set(k, { at: Date.now(), mailbox });
      // A failed read is not cached.
      mailbox.catch(() => cache.delete(k));
      return mailbox;
    },
    forget(tenantId: string, id: string): void {
      cache.delete(key(tenantId, id));
    },
  };
}
export type MailboxCache = ReturnType<typeof createMailboxCache>;
