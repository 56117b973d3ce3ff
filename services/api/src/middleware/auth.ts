import { createHash, timingSafeEqual } from "node:crypto";
import {
  type AuthFailures,
  type RateLimiter,
  type TenantQuotas,
  type Tokens,
  tenantRateSubject,
} from "@mailhook/store";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv, Principal } from "../context.js";
import { ApiError } from "../errors.js";
import { failureBucket, NO_SOCKET } from "./client-address.js";

export interface AuthOptions {
  adminToken: string | null;
  tokens: Tokens;
  limiter: RateLimiter;
  /** Failed authentications per client address (shared by replicas through Redis). */
  failures: AuthFailures;
  /** The tenant-wide request budget (the `apiPerMinute` quota). */
  tenantRate: RateLimiter;
  quotas: TenantQuotas;
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** Compares through fixed-length digests so neither length nor content leaks through timing. */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

const retryAfter = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

function tooManyFailures(ms: number): ApiError {
  const seconds = retryAfter(ms);
  return new ApiError(
    429,
    "AUTH_RATE_LIMITED",
    `too many failed authentications from this address; retry in ${seconds} s`,
    undefined,
    { "Retry-After": String(seconds) },
  );
}

/**
 * Resolves the bearer token to a principal and applies the per-token rate limit. Routes then say
 * what they need with `tenantOf` / `requireAdmin`. Failed attempts are counted per client address;
 * past the limit every request from that address answers 429 without its token being looked at,
 * so guessing gets no answer at all (not even "that one was right") until the window passes.
 */
export const authenticate =
  (opts: AuthOptions): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const address = failureBucket(c.get("clientAddress") ?? NO_SOCKET);
    const blocked = await opts.failures.blocked(address);
    if (!blocked.ok) throw tooManyFailures(blocked.retryAfterMs);
    const fail = async (message: string): Promise<never> => {
      const d = await opts.failures.fail(address);
      throw d.ok ? unauthenticated(message) : tooManyFailures(d.retryAfterMs);
    };
    const header = c.req.header("authorization");
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match?.[1]) return fail("missing bearer token (Authorization: Bearer <token>)");
    const token = match[1];
    let principal: Principal | null = null;
    if (opts.adminToken && sameSecret(token, opts.adminToken)) principal = { kind: "admin" };
    else {
      const record = token.length <= 200 ? await opts.tokens.verify(token) : null;
      if (record) principal = { kind: "tenant", token: record };
    }
    if (!principal) return fail("unknown or revoked token");
    c.set("principal", principal);
    const decision = await opts.limiter.hit(principal.kind === "admin" ? "admin" : principal.token.id);
    if (!decision.ok) {
      const seconds = retryAfter(decision.retryAfterMs);
      throw new ApiError(429, "RATE_LIMITED", `rate limit reached; retry in ${seconds} s`, undefined, {
        "Retry-After": String(seconds),
      });
    }
    if (principal.kind === "tenant") {
      const tenantId = principal.token.tenantId;
      const limit = await opts.quotas.limit(tenantId, "apiPerMinute");
      const t = await opts.tenantRate.hit(tenantRateSubject(tenantId), Date.now(), limit);
      if (!t.ok) {
        const seconds = retryAfter(t.retryAfterMs);
        throw new ApiError(
          429,
          "QUOTA_EXCEEDED",
          `quota apiPerMinute is ${limit} requests per minute for this tenant (all its tokens); retry in ${seconds} s`,
          [{ path: "quota.apiPerMinute", reason: `limit ${limit}` }],
          { "Retry-After": String(seconds) },
        );
      }
    }
    c.header("RateLimit-Remaining", String(decision.remaining));
    await next();
  };

function unauthenticated(message: string): ApiError {
  return new ApiError(401, "UNAUTHENTICATED", message, undefined, {
    "WWW-Authenticate": 'Bearer realm="mailhook"',
  });
}

/**
 * The tenant a request acts for. `write` refuses read-only tokens. The admin token manages tenants
 * and tokens only: acting inside a tenant needs that tenant's own token, so every tenant-scoped
 * query is keyed by a tenant id that came from a token, never from the request.
 */
export function tenantOf(c: Context<AppEnv>, access: "read" | "write"): string {
  const p = c.get("principal");
  if (!p) throw unauthenticated("missing bearer token");
  if (p.kind === "admin") {
    throw new ApiError(
      403,
      "FORBIDDEN",
      "the admin token manages tenants and tokens; use a tenant token here",
    );
  }
  if (access === "write" && p.token.readOnly) {
    throw new ApiError(403, "FORBIDDEN", "this token is read-only");
  }
  return p.token.tenantId;
}

export function requireAdmin(c: Context<AppEnv>): void {
  const p = c.get("principal");
  if (p?.kind !== "admin") throw new ApiError(403, "FORBIDDEN", "this route needs the admin token");
}
