import { z } from "zod";
import type { Store } from "./store.js";

/** How a rule fares at evaluation time (only rules that ever ran out of budget have one). */
export const RuleHealth = z.object({
  /** suspended: skipped by the worker until the rule is changed or enabled again. */
  state: z.enum(["active", "suspended"]),
  /** Messages on which the rule ran out of budget since it was last changed or enabled. */
  budgetExceeded: z.number().int().nonnegative(),
  lastError: z.string().nullable(),
  lastExceededAt: z.string().nullable(),
  suspendedAt: z.string().nullable(),
});
export type RuleHealth = z.infer<typeof RuleHealth>;

export interface BudgetHit {
  ruleId: string;
  budgetMs: number;
  mailboxId: string;
  folder: string;
  uid: number;
}

// Counted and suspended in one step, so workers racing on the same rule suspend it exactly once;
// a suspension bumps the rules version, which makes every worker's rule cache reload.
const RECORD = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local h = cur and cjson.decode(cur) or { budgetExceeded = 0 }
h.budgetExceeded = h.budgetExceeded + 1
h.lastError = ARGV[2]
h.lastExceededAt = ARGV[3]
local suspend = h.budgetExceeded >= tonumber(ARGV[4]) and not h.suspendedAt
if suspend then h.suspendedAt = ARGV[3] end
local out = cjson.encode(h)
redis.call('HSET', KEYS[1], ARGV[1], out)
if suspend then redis.call('INCR', KEYS[2]) end
return out`;

function parse(raw: string): RuleHealth {
  const h = JSON.parse(raw) as Partial<Record<keyof RuleHealth, unknown>>;
  const str = (v: unknown) => (typeof v === "string" ? v : null);
  const suspendedAt = str(h.suspendedAt);
  return {
    state: suspendedAt ? "suspended" : "active",
    budgetExceeded: typeof h.budgetExceeded === "number" ? h.budgetExceeded : 0,
    lastError: str(h.lastError),
    lastExceededAt: str(h.lastExceededAt),
    suspendedAt,
  };
}

/**
 * Budget bookkeeping per rule: a rule that runs out of its evaluation budget `strikes` times is
 * suspended, so a pathological rule costs its tenant a few budgets, not one per message forever.
 *
 * @example
 * const health = createRuleHealth(store, { strikes: 3 });
 * const h = await health.record(tenantId, { ruleId, budgetMs: 1000, mailboxId, folder, uid });
 */
export function createRuleHealth(store: Store, options: { strikes: number }) {
  const { redis, keys: k } = store;
  // Workers keep compiled rules until a notice says otherwise (their version check is a safety net).
  const rulesChanged = (tenantId: string) => store.notifyChange({ kind: "rules", tenantId, id: null });
  return {
    async record(tenantId: string, hit: BudgetHit): Promise<RuleHealth> {
      const error = `evaluation stopped after ${hit.budgetMs} ms on ${hit.mailboxId}/${hit.folder} uid ${hit.uid}; the message was processed without this rule`;
      const at = new Date().toISOString();
      const raw = (await redis.eval(
        RECORD,
        2,
        k.ruleHealth(tenantId),
        k.rulesVersion(tenantId),
        hit.ruleId,
        error,
        at,
        String(options.strikes),
      )) as string;
      const health = parse(raw);
      if (health.suspendedAt === at) await rulesChanged(tenantId);
      await store.recordEvent({
        at: new Date().toISOString(),
        tenantId,
        mailboxId: hit.mailboxId,
        folder: hit.folder,
        type: "rule.budget-exceeded",
        detail: { ruleId: hit.ruleId, uid: hit.uid, budgetMs: hit.budgetMs },
      });
      return health;
    },
    async get(tenantId: string, ruleId: string): Promise<RuleHealth | null> {
      const raw = await redis.hget(k.ruleHealth(tenantId), ruleId);
      return raw ? parse(raw) : null;
    },
    /** Ids of the tenant's suspended rules. */
    async suspended(tenantId: string): Promise<Set<string>> {
      const all = await redis.hgetall(k.ruleHealth(tenantId));
      return new Set(
        Object.entries(all).flatMap(([id, raw]) => (parse(raw).state === "suspended" ? [id] : [])),
      );
    },
    /** Forgets a rule's record (it was changed or enabled again) and lets the workers reload. */
    async clear(tenantId: string, ruleId: string): Promise<void> {
      const removed = await redis.hdel(k.ruleHealth(tenantId), ruleId);
      if (removed > 0) {
        await redis.incr(k.rulesVersion(tenantId));
        await rulesChanged(tenantId);
      }
    },
  };
}
export type RuleHealthStore = ReturnType<typeof createRuleHealth>;
