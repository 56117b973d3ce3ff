import type { Mailbox } from "./records.js";
import { StoredMailbox } from "./records.js";
import type { Store } from "./store.js";

/** A mailbox without its credential: what listings need. */
export type MailboxSummary = Omit<Mailbox, "password">;

const GLOB = /[*?[\]\\]/g;

/**
 * One tenant's mailboxes, read with HSCAN over the tenant's own fields and never decrypted.
 * `store.listMailboxes(tenantId)` reads (and unseals) every tenant's mailboxes to filter them, which
 * is right for the watcher (it wants them all) but not for an API listing one tenant's.
 */
export async function listTenantMailboxes(store: Store, tenantId: string): Promise<MailboxSummary[]> {
  const { redis, keys: k } = store;
  const match = `${k.ref(tenantId, "").replace(GLOB, (c) => `\\${c}`)}*`;
  const out: MailboxSummary[] = [];
  let cursor = "0";
  do {
    const [next, entries] = await redis.hscan(k.mailboxes, cursor, "MATCH", match, "COUNT", 500);
    cursor = next;
    for (let i = 0; i + 1 < entries.length; i += 2) {
      const { password: _sealed, ...rest } = StoredMailbox.parse(JSON.parse(entries[i + 1] as string));
      // MATCH is a prefix test on "tenant/": exact tenant only.
      if (rest.tenantId === tenantId) out.push(rest);
    }
  } while (cursor !== "0");
  return out;
}
