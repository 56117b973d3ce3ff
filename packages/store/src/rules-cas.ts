import { createHash } from "node:crypto";
import type { Rule } from "@mailhook/rules";
import type { Store } from "./store.js";

/**
 * A rule as stored, with the marker the config seeding adds. The ETag of a rule is the SHA-1 of its
 * stored JSON, computed by Redis inside the compare-and-set script, so a concurrent writer (another
 * API replica, or config seeding) is always noticed.
 */
export type StoredRule = Rule & { managed?: "file" | "api" };

export interface RuleWrite {
  id: string;
  /** "" = must not exist yet; "*" = must exist; else the ETag the caller read. */
  expect: string;
  /** The new rule, or null to delete it. */
  rule: StoredRule | null;
}

export type CasResult =
  | { ok: true; etags: Record<string, string> }
  | { ok: false; reason: "not-found" | "precondition-failed" | "exists"; id: string };

// Checks every write first, then applies them all: reorder moves several rules or none.
const CAS = `
local n = tonumber(ARGV[2])
for i = 0, n - 1 do
  local id, expect = ARGV[3 + i * 3], ARGV[4 + i * 3]
  local cur = redis.call('HGET', KEYS[1], id)
  if expect == '' then
    if cur then return {'exists', id} end
  elseif not cur then return {'not-found', id}
  elseif expect ~= '*' and redis.sha1hex(cur) ~= expect then return {'precondition-failed', id} end
end
local out = {'ok'}
for i = 0, n - 1 do
  local id, json = ARGV[3 + i * 3], ARGV[5 + i * 3]
  if json == '' then redis.call('HDEL', KEYS[1], id) else redis.call('HSET', KEYS[1], id, json) end
  table.insert(out, id)
  table.insert(out, json == '' and '' or redis.sha1hex(json))
end
redis.call('INCR', KEYS[2])
return out`;

/** The ETag of stored rule JSON (what Redis's sha1hex computes on the same bytes). */
export function ruleEtag(storedJson: string): string {
  return createHash("sha1").update(storedJson, "utf8").digest("hex");
}

/** Rule writes with optimistic concurrency, for the API. Bumps the rules version and notifies. */
export function createRuleWriter(store: Store) {
  const { redis, keys: k } = store;
  return {
    /** The tenant's rules with their ETags, as stored. */
    async list(tenantId: string): Promise<{ rule: StoredRule; etag: string }[]> {
      const all = await redis.hvals(k.rules(tenantId));
      return all.map((raw) => ({ rule: JSON.parse(raw) as StoredRule, etag: ruleEtag(raw) }));
    },
    async get(tenantId: string, id: string): Promise<{ rule: StoredRule; etag: string } | null> {
      const raw = await redis.hget(k.rules(tenantId), id);
      return raw ? { rule: JSON.parse(raw) as StoredRule, etag: ruleEtag(raw) } : null;
    },
    /** Applies all writes or none. */
    async write(tenantId: string, writes: RuleWrite[]): Promise<CasResult> {
      if (writes.length === 0) return { ok: true, etags: {} };
      const args: string[] = [tenantId, String(writes.length)];
      for (const w of writes) args.push(w.id, w.expect, w.rule ? JSON.stringify(w.rule) : "");
      // The tenant registry is global (another slot on Redis Cluster): registered first, outside the script.
      await redis.sadd(k.tenants, tenantId);
      const r = (await redis.eval(CAS, 2, k.rules(tenantId), k.rulesVersion(tenantId), ...args)) as
        | string[]
        | null;
      if (r?.[0] !== "ok") {
        return {
          ok: false,
          reason: (r?.[0] ?? "not-found") as "not-found" | "precondition-failed" | "exists",
          id: r?.[1] ?? "",
        };
      }
      const etags: Record<string, string> = {};
      for (let i = 1; i + 1 < r.length; i += 2) etags[r[i] as string] = r[i + 1] as string;
      await store.notifyChange({ kind: "rules", tenantId, id: null });
      return { ok: true, etags };
    },
  };
}
export type RuleWriter = ReturnType<typeof createRuleWriter>;
