export { keys } from "./keys.js";
export type { Lease, Leases } from "./lease.js";
export { createLeases } from "./lease.js";
export type {
  CircuitState,
  EndpointGate,
  GateEntry,
  GatePolicy,
  GateRelease,
  GateVerdict,
} from "./endpoint-gate.js";
export { createEndpointGate, DEFAULT_GATE_POLICY } from "./endpoint-gate.js";
export type { Endpoint, Mailbox, RetiringSecret } from "./records.js";
export {
  Cursor,
  DeliveryAttempt,
  DeliveryRecord,
  DeliveryStatus,
  FolderState,
  FolderStatus,
  FollowUp,
  MailboxEvent,
  signingSecrets,
  StartPosition,
  TlsMode,
} from "./records.js";
export type { SecretBox } from "./secret-box.js";
export { createSecretBox, generateKeySpec, Sealed } from "./secret-box.js";
export type { SeedInput, SeedResult } from "./seed.js";
export { seedFromConfig } from "./seed.js";
export type { ChangeNotice, Store, StoreOptions } from "./store.js";
export { createStore } from "./store.js";
