import type { OutboundPolicy } from "@mailhook/net";
import { createRulePool, type RulePool } from "@mailhook/rule-pool";
import {
  type AuthFailures,
  type Backfills,
  createAuthFailures,
  createBackfills,
  createEndpointGate,
  createIdempotency,
  createMailboxOAuth,
  createQuotas,
  createRateLimiter,
  createRuleHealth,
  createRuleWriter,
  createTenantOutbound,
  createTenants,
  createTokens,
  DEFAULT_QUOTAS,
  type EndpointGate,
  type Idempotency,
  type MailboxOAuthStore,
  type RateLimiter,
  type RuleHealthStore,
  type RuleWriter,
  type TenantOutboundStore,
  type TenantQuotas,
  type Tenants,
  type Tokens,
} from "@mailhook/store";
import { type ApiDeps, type ApiLimits, DEFAULT_LIMITS } from "./deps.js";
import { lazyImapProbe } from "./lazy.js";
import type { MailboxProbe } from "./verify-mailbox.js";

/** Everything a route handler uses, built once per app from the deps. */
export interface Services {
  deps: ApiDeps;
  limits: ApiLimits;
  tenants: Tenants;
  /** The operator's per-tenant outbound allow-lists (admin routes write them, the policy reads them). */
  tenantOutbound: TenantOutboundStore;
  outbound: OutboundPolicy;
  tokens: Tokens;
  rules: RuleWriter;
  idempotency: Idempotency;
  oauth: MailboxOAuthStore;
  limiter: RateLimiter;
  authFailures: AuthFailures;
  quotas: TenantQuotas;
  /** The per-tenant API budget (the `apiPerMinute` quota), beside each token's own. */
  tenantRate: RateLimiter;
  probe: MailboxProbe;
  backfills: Backfills;
  /** Dry runs evaluate here, off the event loop and within the time budget. */
  rulePool: RulePool;
  ruleHealth: RuleHealthStore;
  /** The workers' endpoint gate, read here only (circuit state in the endpoint view). */
  gate: EndpointGate;
}

export function createServices(deps: ApiDeps): Services {
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const { redis, prefix } = deps;
  return {
    deps,
    limits,
    tenants: createTenants({ redis, prefix }),
    tenantOutbound: createTenantOutbound({ redis, prefix }),
    outbound: deps.outbound,
    tokens: createTokens({ redis, prefix }),
    rules: createRuleWriter(deps.store),
    idempotency: createIdempotency({ redis, prefix, secrets: deps.secrets }),
    oauth: createMailboxOAuth(deps.store, prefix, deps.secrets),
    limiter: createRateLimiter({ redis, prefix, limit: limits.ratePerWindow, windowMs: limits.rateWindowMs }),
    authFailures: createAuthFailures({
      redis,
      prefix,
      limit: limits.authFailuresPerWindow,
      windowMs: limits.authFailureWindowMs,
    }),
    quotas: createQuotas({ redis, prefix, ...(deps.quotas ? { defaults: deps.quotas } : {}) }),
    tenantRate: createRateLimiter({ redis, prefix, limit: DEFAULT_QUOTAS.apiPerMinute, windowMs: 60_000 }),
    probe: deps.probeMailbox ?? lazyImapProbe(),
    backfills: createBackfills({ redis, prefix }),
    rulePool: deps.rulePool ?? createRulePool(deps.ruleBudget),
    ruleHealth: createRuleHealth(deps.store, { strikes: deps.ruleBudget?.strikes ?? 3 }),
    gate: createEndpointGate(redis, prefix),
  };
}
