export type { ApiKeys } from "./api-keys.js";
export { apiKeys } from "./api-keys.js";
export type { AuthFailures, AuthFailuresOptions } from "./auth-failures.js";
export { createAuthFailures } from "./auth-failures.js";
export type { Backfills, BackfillsOptions } from "./backfills.js";
export { BackfillRecord, createBackfills, fromRanges, toRanges } from "./backfills.js";
export type { Counters } from "./counters.js";
export { createCounters } from "./counters.js";
export type { DeliveryCursor, DeliveryFilter, DeliveryPage } from "./deliveries-query.js";
export { queryDeliveries } from "./deliveries-query.js";
export type {
  CircuitState,
  EndpointGate,
  GateEntry,
  GatePolicy,
  GateRelease,
  GateVerdict,
} from "./endpoint-gate.js";
export { createEndpointGate, DEFAULT_GATE_POLICY } from "./endpoint-gate.js";
export type { Idempotency, IdempotencyClaim, IdempotencyOptions, RememberedResponse } from "./idempotency.js";
export { createIdempotency } from "./idempotency.js";
export type { InlinePending, PendingAttempt } from "./inline-pending.js";
export { createInlinePending } from "./inline-pending.js";
export type { Keys } from "./keys.js";
export { keys } from "./keys.js";
export type { Lease, LeaseRef, Leases } from "./lease.js";
export { batch, createLeases } from "./lease.js";
export type { MailboxOAuth, MailboxOAuthStore } from "./mailbox-oauth.js";
export { createMailboxOAuth } from "./mailbox-oauth.js";
export type { Membership } from "./membership.js";
export { createMembership, Member } from "./membership.js";
export { migrateKeyLayout } from "./migrate-keys.js";
export type { Presence } from "./presence.js";
export { createPresence } from "./presence.js";
export type { QuotaName, QuotasOptions, TenantQuotas } from "./quotas.js";
export { createQuotas, DEFAULT_QUOTAS, QuotaOverrides, Quotas, tenantRateSubject } from "./quotas.js";
export type { RateDecision, RateLimiter, RateLimitOptions } from "./rate-limit.js";
export { createRateLimiter } from "./rate-limit.js";
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
  StartPosition,
  signingSecrets,
  TlsMode,
} from "./records.js";
export type { RedisClient } from "./redis-client.js";
export { duplicateClient, getMany, isCluster } from "./redis-client.js";
export type { ResealResult } from "./reseal.js";
export { resealSecrets } from "./reseal.js";
export type { BudgetHit, RuleHealthStore } from "./rule-health.js";
export { createRuleHealth, RuleHealth } from "./rule-health.js";
export type { CasResult, RuleWrite, RuleWriter, StoredRule } from "./rules-cas.js";
export { createRuleWriter, ruleEtag } from "./rules-cas.js";
export type { SecretBox, SecretContext } from "./secret-box.js";
export { createSecretBox, generateKeySpec, Sealed } from "./secret-box.js";
export type { SeedInput, SeedResult } from "./seed.js";
export { SECRET_OVERLAP_SEC, seedFromConfig } from "./seed.js";
export type { BudgetAnswer, MailboxRef, SessionBudget, SessionBudgetOptions } from "./session-budget.js";
export { createSessionBudget } from "./session-budget.js";
export type { ChangeNotice, Store, StoreOptions } from "./store.js";
export { createStore } from "./store.js";
export { StoreError } from "./store-error.js";
export type { TenantDeleteOptions, TenantDeleteResult } from "./tenant-delete.js";
export { deleteTenant } from "./tenant-delete.js";
export type { MailboxSummary } from "./tenant-mailboxes.js";
export { listTenantMailboxes } from "./tenant-mailboxes.js";
export type { TenantOutboundStore } from "./tenant-outbound.js";
export { createTenantOutbound, TenantOutbound } from "./tenant-outbound.js";
export type { Tenants, TenantsOptions } from "./tenants.js";
export { createTenants, newTenantId, Tenant, TenantId } from "./tenants.js";
export type { Tokens, TokensOptions } from "./tokens.js";
export { ApiToken, createTokens, hashToken } from "./tokens.js";
