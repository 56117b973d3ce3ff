export { keys } from "./keys.js";
export type { Lease, Leases } from "./lease.js";
export { createLeases } from "./lease.js";
export type { Endpoint, Mailbox } from "./records.js";
export {
  Cursor,
  DeliveryAttempt,
  DeliveryRecord,
  DeliveryStatus,
  FolderState,
  FolderStatus,
  MailboxEvent,
  StartPosition,
  TlsMode,
} from "./records.js";
export type { SecretBox } from "./secret-box.js";
export { createSecretBox, generateKeySpec, Sealed } from "./secret-box.js";
export type { SeedInput, SeedResult } from "./seed.js";
export { seedFromConfig } from "./seed.js";
export type { ChangeNotice, Store, StoreOptions } from "./store.js";
export { createStore } from "./store.js";
