import type { z } from "zod";
import type { Condition } from "./condition.js";
import { conditionDepth, countConditions, repeatWidth } from "./cost.js";
import { parseField } from "./fields.js";
import { DEFAULT_RULE_LIMITS, type RuleLimits } from "./limits.js";
import { compileRegex } from "./regex.js";
import { type Rule, RuleInput } from "./rule.js";
import { buildTree, isObject, keyPath, type Problem } from "./tree.js";

export type { Problem } from "./tree.js";

export type ValidationResult = { ok: true; rules: Rule[] } | { ok: false; problems: Problem[] };

export interface ValidateOptions {
  /** Deepest all/any/not nesting accepted (default MAX_CONDITION_DEPTH = 16); overrides limits.maxDepth. */
  maxDepth?: number;
  /** Caps on what one rule may cost (defaults: DEFAULT_RULE_LIMITS). */
  limits?: Partial<RuleLimits>;
}

function zodPath(prefix: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((p, k) => keyPath(p, typeof k === "number" ? k : String(k)), prefix);
}

/**
 * Checks rules as users wrote them and returns them with defaults and ids, or every problem found
 * (schema errors, unknown fields, op/value mismatches, empty any/all, refused regexes, nesting
 * depth, too many conditions, patterns too wide, bad extract patterns, duplicate ids). Paths start with the rule's index: `[2].when.any[0].op`.
 *
 * Rules without an id get one from their name (`invoices-to-accounting`, then `-2`, `-3` for
 * repeats), so the same list yields the same ids on every load and ids survive edits of conditions.
 *
 * @example
 * const r = validateRules(yaml.rules);
 * if (!r.ok) for (const p of r.problems) console.error(`rules${p.path}: ${p.reason}`);
 */
export function validateRules(input: unknown[], options: ValidateOptions = {}): ValidationResult {
  if (!Array.isArray(input)) return { ok: false, problems: [{ path: "", reason: "rules must be a list" }] };
  const limits: RuleLimits = { ...DEFAULT_RULE_LIMITS, ...options.limits };
  const maxDepth = options.maxDepth ?? limits.maxDepth;
  const problems: Problem[] = [];
  const parsed: { index: number; rule: Parsed }[] = [];

  input.forEach((raw, i) => {
    const at = `[${i}]`;
    const before = problems.length;
    const when = isObject(raw) ? raw.when : undefined;
    // Before any schema check: the condition schema is recursive, and 5,000 nested `not` would
    // overflow the stack inside zod (a 500) instead of being refused.
    if (when !== undefined && conditionDepth(when, maxDepth) > maxDepth) {
      // buildTree stops at maxDepth, so it is safe here and names the exact place.
      buildTree(when, `${at}.when`, problems, maxDepth);
      return;
    }
    if (when !== undefined && countConditions(when, limits.maxConditions) > limits.maxConditions) {
      problems.push({
        path: `${at}.when`,
        reason: `more than ${limits.maxConditions} conditions in one rule; split it into several rules or use "in" with a list`,
      });
      return;
    }
    const result = RuleInput.safeParse(raw);
    // `when` is walked by buildTree, which says precisely what is wrong where a union error cannot.
    const whenProblems: Problem[] = [];
    if (when !== undefined) buildTree(when, `${at}.when`, whenProblems, maxDepth);
    problems.push(...whenProblems);
    if (!result.success) {
      for (const issue of result.error.issues) {
        if (issue.path[0] === "when" && whenProblems.length > 0) continue;
        problems.push({ path: zodPath(at, issue.path), reason: issue.message });
      }
    } else {
      checkRule(result.data, at, problems);
      checkPatterns(result.data, at, problems, limits.maxRepeat);
    }
    if (problems.length === before && result.success) parsed.push({ index: i, rule: result.data });
  });

  const rules = assignIds(parsed, problems);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, rules };
}

type Parsed = z.output<typeof RuleInput>;

function wide(pattern: string, maxRepeat: number): string | null {
  const width = repeatWidth(pattern);
  return width > maxRepeat
    ? `regex too costly: its counted repeats ({n}, {n,m}) add up to ${width}, the limit is ${maxRepeat} (every counted position is evaluated at every character of the text); use fewer or smaller counts, or * and +`
    : null;
}

/** Counted repeats per pattern (compileRegex has already refused what re2 cannot compile). */
function checkPatterns(rule: Parsed, at: string, problems: Problem[], maxRepeat: number): void {
  const walk = (c: Condition, path: string): void => {
    if ("all" in c || "any" in c) {
      const [group, list] = "all" in c ? ["all", c.all] : ["any", c.any];
      for (const [i, x] of list.entries()) walk(x, keyPath(keyPath(path, group), i));
    } else if ("not" in c) walk(c.not, keyPath(path, "not"));
    else if (c.op === "matches" && typeof c.value === "string") {
      const reason = wide(c.value, maxRepeat);
      if (reason) problems.push({ path: keyPath(path, "value"), reason });
    }
  };
  if (rule.when) walk(rule.when, keyPath(at, "when"));
  for (const [name, x] of Object.entries(rule.extract ?? {})) {
    const reason = wide(x.pattern, maxRepeat);
    if (reason) problems.push({ path: keyPath(keyPath(keyPath(at, "extract"), name), "pattern"), reason });
  }
}

function checkRule(rule: Parsed, at: string, problems: Problem[]): void {
  for (const [name, x] of Object.entries(rule.extract ?? {})) {
    const xAt = keyPath(keyPath(at, "extract"), name);
    const spec = parseField(x.field);
    if (!spec) problems.push({ path: keyPath(xAt, "field"), reason: `unknown field "${x.field}"` });
    else if (spec.kind !== "text") {
      problems.push({
        path: keyPath(xAt, "field"),
        reason: `extract reads text fields; "${x.field}" is a ${spec.kind}`,
      });
    }
    const re = compileRegex(x.pattern, x.flags ?? "", x.caseSensitive === true);
    if (!re.ok)
      problems.push({
        path: keyPath(xAt, re.reason.startsWith("unknown regex flag") ? "flags" : "pattern"),
        reason: re.reason,
      });
  }
  const hasWebhook = rule.actions.some((a) => a.type === "webhook");
  let finalActions = 0;
  rule.actions.forEach((a, j) => {
    const aAt = keyPath(keyPath(at, "actions"), j);
    if (a.type !== "webhook" && a.after === "webhook" && !hasWebhook) {
      problems.push({
        path: keyPath(aAt, "after"),
        reason: `after: "webhook" needs a webhook action in the same rule`,
      });
    }
    if (a.type === "move" || a.type === "delete") {
      finalActions += 1;
      if (finalActions > 1)
        problems.push({ path: aAt, reason: "a message can be moved or deleted only once per rule" });
    }
  });
}

/** A readable id from the rule's name ("Invoices → accounting" → "invoices-accounting"). */
function slug(name: string): string {
  const s = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 48)
    .replace(/-+$/, "");
  return s === "" ? "rule" : s;
}

function assignIds(parsed: { index: number; rule: Parsed }[], problems: Problem[]): Rule[] {
  const explicit = new Map<string, number>();
  parsed.forEach(({ index: i, rule: r }) => {
    if (r.id === undefined) return;
    const first = explicit.get(r.id);
    if (first !== undefined)
      problems.push({ path: `[${i}].id`, reason: `duplicate id "${r.id}" (also rule [${first}])` });
    else explicit.set(r.id, i);
  });
  const used = new Set(explicit.keys());
  return parsed.map(({ rule: r }) => {
    if (r.id !== undefined) return { ...r, id: r.id };
    const base = slug(r.name);
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
    used.add(id);
    return { ...r, id };
  });
}
