import {
  type AuthFailures,
  type Backfills,
  createAuthFailures,
  createBackfills,
  createIdempotency,
  createMailboxOAuth,
  createRateLimiter,
  createRuleWriter,
  createTenants,
  createTokens,
  type Idempotency,
  type MailboxOAuthStore,
  type RateLimiter,
  type RuleWriter,
  type Tenants,
  type Tokens,
} from "@mailhook/store";
import { type ApiDeps, type ApiLimits, DEFAULT_LIMITS } from "./deps.js";
import { createImapProbe, type MailboxProbe } from "./verify-mailbox.js";

/** Everything a route handler uses, built once per app from the deps. */
export interface Services {
  deps: ApiDeps;
  limits: ApiLimits;
  tenants: Tenants;
  tokens: Tokens;
  rules: RuleWriter;
  idempotency: Idempotency;
  oauth: MailboxOAuthStore;
  limiter: RateLimiter;
  authFailures: AuthFailures;
  probe: MailboxProbe;
  backfills: Backfills;
}

export function createServices(deps: ApiDeps): Services {
  const limits = { ...DEFAULT_LIMITS, ...deps.limits };
  const { redis, prefix } = deps;
  return {
    deps,
    limits,
    tenants: createTenants({ redis, prefix }),
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
    probe: deps.probeMailbox ?? createImapProbe(),
    backfills: createBackfills({ redis, prefix }),
  };
}
