import type { CompiledRules } from "@mailhook/rules";

type Node = NonNullable<CompiledRules["rules"][number]["when"]>;

const cache = new WeakMap<CompiledRules, boolean>();

function hasRegex(n: Node): boolean {
  switch (n.kind) {
    case "all":
    case "any":
      return n.children.some(hasRegex);
    case "not":
      return hasRegex(n.child);
    case "leaf":
      return n.leaf.leaf.op === "matches";
  }
}

/**
 * Whether a rule set must run in a thread. Without regexes the cost of a rule is bounded by its
 * (capped) conditions times the (capped) text: microseconds, not worth a thread hop. A regex's
 * cost also depends on its shape, which only the time budget bounds.
 */
export function needsThread(compiled: CompiledRules): boolean {
  let v = cache.get(compiled);
  if (v === undefined) {
    v = compiled.rules.some((c) => c.extract.length > 0 || (c.when !== null && hasRegex(c.when)));
    cache.set(compiled, v);
  }
  return v;
}
