import type { Store } from "@mailhook/store";

type StoredMailbox = Parameters<Store["putMailbox"]>[0];

/**
 * A disabled mailbox record written straight to the store: it points at port 1 and is never
 * watched, for tests about how mailboxes are shown or named rather than how they connect.
 */
export function parkedMailbox(
  tenantId: string,
  id: string,
  overrides: Partial<StoredMailbox> = {},
): StoredMailbox {
  return {
    tenantId,
    id,
    address: `${id}@example.test`,
    host: "127.0.0.1",
    port: 1,
    tls: "none",
    tlsVerify: false,
    user: "u",
    password: "p",
    folders: ["INBOX"],
    start: "new",
    enabled: false,
    managed: "api",
    updatedAt: new Date().toISOString(),
    ...overrides,
  };
}
