import type { ContentNeeds } from "@mailhook/model";
import { type CompiledRules, compileRules, needsOf, rulesFor } from "@mailhook/rules";
import type { RuleHealthStore, Store } from "@mailhook/store";

interface Entry {
  version: number;
  compiled: CompiledRules;
  scoped: Map<string, { compiled: CompiledRules; needs: ContentNeeds }>;
}

/**
 * Compiled rules per tenant, recompiled only when the tenant's rules version moves (one GET per
 * job). Edits through the config file or the API therefore apply to the very next message. Rules
 * suspended for running out of evaluation budget are left out (a suspension bumps the version).
 */
export function createRuleCache(store: Store, health?: RuleHealthStore) {
  const cache = new Map<string, Entry>();
  return {
    async forFolder(
      tenantId: string,
      mailboxId: string,
      folder: string,
    ): Promise<{ compiled: CompiledRules; needs: ContentNeeds }> {
      const version = await store.rulesVersion(tenantId);
      let entry = cache.get(tenantId);
      if (!entry || entry.version !== version) {
        const [all, suspended] = await Promise.all([
          store.listRules(tenantId),
          health ? health.suspended(tenantId) : new Set<string>(),
        ]);
        const rules = suspended.size > 0 ? all.filter((r) => !suspended.has(r.id)) : all;
        entry = { version, compiled: compileRules(rules), scoped: new Map() };
        cache.set(tenantId, entry);
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
  };
}
export type RuleCache = ReturnType<typeof createRuleCache>;
