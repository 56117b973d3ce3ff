import type { ContentNeeds } from "@mailhook/model";
import { type CompiledRules, compileRules, needsOf, rulesFor } from "@mailhook/rules";
import type { RuleHealthStore, Store } from "@mailhook/store";

interface Entry {
  version: number;
  /** When the version was last read from the store. */
  checkedAt: number;
  compiled: CompiledRules;
  scoped: Map<string, { compiled: CompiledRules; needs: ContentNeeds }>;
}

/**
 * Compiled rules per tenant, recompiled only when the tenant's rules version moves. The version is
 * read at most once per `versionMaxAgeMs` per tenant (0: on every job); the worker forgets a
 * tenant's entry on the store's rules change notice, so an edit through the config file or the API
 * applies to the next message, and the age bound only covers a missed notice. Rules suspended for
 * running out of evaluation budget are left out (a suspension bumps the version).
 */
export function createRuleCache(store: Store, health?: RuleHealthStore, versionMaxAgeMs = 0) {
  const cache = new Map<string, Entry>();
  return {
    async forFolder(
      tenantId: string,
      mailboxId: string,
      folder: string,
    ): Promise<{ compiled: CompiledRules; needs: ContentNeeds }> {
      let entry = cache.get(tenantId);
      const now = Date.now();
      if (!entry || now - entry.checkedAt >= versionMaxAgeMs) {
        const version = await store.rulesVersion(tenantId);
        entry = cache.get(tenantId);
        if (entry && entry.version === version) entry.checkedAt = now;
        else {
          const [all, suspended] = await Promise.all([
            store.listRules(tenantId),
            health ? health.suspended(tenantId) : new Set<string>(),
          ]);
          const rules = suspended.size > 0 ? all.filter((r) => !suspended.has(r.id)) : all;
          entry = { version, checkedAt: now, compiled: compileRules(rules), scoped: new Map() };
          cache.set(tenantId, entry);
        }
      }
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
    },
  };
}
export type RuleCache = ReturnType<typeof createRuleCache>;
