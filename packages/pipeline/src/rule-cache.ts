import type { ContentNeeds } from "@mailhook/model";
import { type CompiledRules, compileRules, needsOf, rulesFor } from "@mailhook/rules";
import type { RuleHealthStore, Store } from "@mailhook/store";
import { type MaxAge, maxAgeNow } from "./record-cache.js";

interface Entry {
  version: number;
  /** When the version was last read from the store. */
  checkedAt: number;
  compiled: CompiledRules;
  scoped: Map<string, { compiled: CompiledRules; needs: ContentNeeds }>;
}

/** The parts of the store the cache reads. */
export type RuleSource = Pick<Store, "rulesVersion" | "listRules">;

/**
 * Compiled rules per tenant, recompiled only when the tenant's rules version moves. The version is
 * read at most once per `versionMaxAgeMs` per tenant (0: on every job); the worker forgets a
 * tenant's entry on the store's rules change notice, so an edit through the config file or the API
 * applies to the next message, and the age bound only covers a missed notice. Rules suspended for
 * running out of evaluation budget are left out (a suspension bumps the version).
 *
 * One load per tenant at a time: the messages that ask while the version is read or the rules are
 * compiled wait for that one load. Without it, a worker's first burst (and the burst after every
 * rules change notice) compiled the tenant's rules once per message in flight (up to
 * MAIL_CONCURRENCY times), and the rule pool's threads compiled each copy again.
 */
export function createRuleCache(store: RuleSource, health?: RuleHealthStore, versionMaxAgeMs: MaxAge = 0) {
  const cache = new Map<string, Entry>();
  const loading = new Map<string, Promise<Entry>>();
  /** Bumped by forget(): a load begun before a change notice must not store what it read. */
  const generation = new Map<string, number>();
  /** Bumped by clear(), for every tenant at once. */
  let epoch = 0;
  const genOf = (tenantId: string) => `${epoch}/${generation.get(tenantId) ?? 0}`;

  async function load(tenantId: string): Promise<Entry> {
    const gen = genOf(tenantId);
    const version = await store.rulesVersion(tenantId);
    const known = cache.get(tenantId);
    const now = Date.now();
    if (known && known.version === version) {
      known.checkedAt = now;
      return known;
    }
    const [all, suspended] = await Promise.all([
      store.listRules(tenantId),
      health ? health.suspended(tenantId) : new Set<string>(),
    ]);
    const rules = suspended.size > 0 ? all.filter((r) => !suspended.has(r.id)) : all;
    const entry: Entry = { version, checkedAt: now, compiled: compileRules(rules), scoped: new Map() };
    if (genOf(tenantId) === gen) cache.set(tenantId, entry);
    return entry;
  }

  function shared(tenantId: string): Promise<Entry> {
    let p = loading.get(tenantId);
    if (!p) {
      const mine = load(tenantId).finally(() => {
        if (loading.get(tenantId) === mine) loading.delete(tenantId);
      });
      p = mine;
      loading.set(tenantId, p);
    }
    return p;
  }

  return {
    async forFolder(
      tenantId: string,
      mailboxId: string,
      folder: string,
    ): Promise<{ compiled: CompiledRules; needs: ContentNeeds }> {
      let entry = cache.get(tenantId);
      if (!entry || Date.now() - entry.checkedAt >= maxAgeNow(versionMaxAgeMs))
        entry = await shared(tenantId);
      const key = `${mailboxId}\0${folder}`;
      let scoped = entry.scoped.get(key);
      if (!scoped) {
        const compiled = rulesFor(entry.compiled, mailboxId, folder);
        scoped = { compiled, needs: needsOf(compiled.rules.map((c) => c.rule)) };
        entry.scoped.set(key, scoped);
      }
      return scoped;
    },
    /** Drops a tenant's compiled rules (call it on the store's rules change notice). */
    forget(tenantId: string): void {
      cache.delete(tenantId);
      // The next message starts a load of its own instead of joining one that may predate the edit.
      loading.delete(tenantId);
      generation.set(tenantId, (generation.get(tenantId) ?? 0) + 1);
    },
    /** Drops every tenant's entry (notices may have been missed). */
    clear(): void {
      cache.clear();
      loading.clear();
      epoch++;
    },
  };
}
export type RuleCache = ReturnType<typeof createRuleCache>;
