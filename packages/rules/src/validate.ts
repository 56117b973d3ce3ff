import type { z } from "zod";
import { parseField } from "./fields.js";
import { compileRegex } from "./regex.js";
import { type Rule, RuleInput } from "./rule.js";
import { buildTree, keyPath, MAX_CONDITION_DEPTH, type Problem } from "./tree.js";

export type { Problem } from "./tree.js";

export type ValidationResult = { ok: true; rules: Rule[] } | { ok: false; problems: Problem[] };

export interface ValidateOptions {
  /** Deepest all/any/not nesting accepted (default MAX_CONDITION_DEPTH = 16). */
  maxDepth?: number;
}

function zodPath(prefix: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((p, k) => keyPath(p, typeof k === "number" ? k : String(k)), prefix);
}

/**
 * Checks rules as users wrote them and returns them with defaults and ids, or every problem found
 * (schema errors, unknown fields, op/value mismatches, empty any/all, refused regexes, nesting
 * depth, bad extract patterns, duplicate ids). Paths start with the rule's index: `[2].when.any[0].op`.
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
  const maxDepth = options.maxDepth ?? MAX_CONDITION_DEPTH;
  const problems: Problem[] = [];
  const parsed: { index: number; rule: Parsed }[] = [];

  input.forEach((raw, i) => {
    const at = `[${i}]`;
    const before = problems.length;
    const result = RuleInput.safeParse(raw);
    // `when` is walked by buildTree, which says precisely what is wrong where a union error cannot.
    const whenProblems: Problem[] = [];
    const hasWhen = typeof raw === "object" && raw !== null && "when" in raw && raw.when !== undefined;
    if (hasWhen) buildTree((raw as { when: unknown }).when, `${at}.when`, whenProblems, maxDepth);
    problems.push(...whenProblems);
    if (!result.success) {
      for (const issue of result.error.issues) {
        if (issue.path[0] === "when" && whenProblems.length > 0) continue;
        problems.push({ path: zodPath(at, issue.path), reason: issue.message });
      }
    } else {
      checkRule(result.data, at, problems);
    }
    if (problems.length === before && result.success) parsed.push({ index: i, rule: result.data });
  });

  const rules = assignIds(parsed, problems);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, rules };
}

type Parsed = z.output<typeof RuleInput>;

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
