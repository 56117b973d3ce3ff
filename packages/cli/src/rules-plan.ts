import type { RuleView } from "@mailhook/api-schema";
import { type Rule, validateRules } from "@mailhook/rules";
import { parse as parseYaml } from "yaml";
import { UsageError } from "./io.js";

/** The rules of a file: a list, or a mailhook.yaml-style document with a `rules:` key. */
export function parseRulesFile(text: string, path: string): Rule[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new UsageError(`${path}: not valid YAML: ${(err as Error).message}`);
  }
  const list = Array.isArray(doc) ? doc : (doc as { rules?: unknown } | null)?.rules;
  if (!Array.isArray(list))
    throw new UsageError(`${path}: expected a list of rules, or a document with rules:`);
  const r = validateRules(list);
  if (!r.ok)
    throw new UsageError(`${path}: ${r.problems.map((p) => `\n  rules${p.path}: ${p.reason}`).join("")}`);
  return r.rules;
}

export interface RuleChange {
  id: string;
  /** Top-level keys that differ (`when`, `actions`, `enabled`, …). */
  keys: string[];
  rule: Rule;
  etag: string;
}

export interface RulePlan {
  create: Rule[];
  update: RuleChange[];
  remove: { id: string; etag: string }[];
  unchanged: string[];
  /** In the file, but the API's copy comes from mailhook.yaml and cannot be changed here. */
  fileManaged: string[];
}

/** Keys in a stable order, so equal rules compare equal however they were written. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object")
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  return v;
}

const same = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

/** The API's rule with the defaults filled in the same way as the file's, for comparison. */
function normalised(view: RuleView): Rule | null {
  const { managed: _m, etag: _e, ...input } = view;
  const r = validateRules([input]);
  return r.ok ? (r.rules[0] ?? null) : null;
}

/**
 * What `rules apply` would do: create the file's new rules, replace the changed ones, and with
 * `prune` delete the API-managed rules the file no longer lists. Rules equal after defaults are
 * left alone, so applying a file twice changes nothing the second time.
 */
export function planRules(desired: Rule[], current: RuleView[], prune: boolean): RulePlan {
  const byId = new Map(current.map((r) => [r.id, r]));
  const plan: RulePlan = { create: [], update: [], remove: [], unchanged: [], fileManaged: [] };
  for (const rule of desired) {
    const cur = byId.get(rule.id);
    if (!cur) {
      plan.create.push(rule);
      continue;
    }
    const before = normalised(cur);
    if (before && same(before, rule)) {
      plan.unchanged.push(rule.id);
      continue;
    }
    if (cur.managed === "file") {
      plan.fileManaged.push(rule.id);
      continue;
    }
    const keys = [...new Set([...Object.keys(rule), ...Object.keys(before ?? {})])]
      .filter(
        (k) => !same((rule as Record<string, unknown>)[k], (before as Record<string, unknown> | null)?.[k]),
      )
      .sort();
    plan.update.push({ id: rule.id, keys, rule, etag: cur.etag });
  }
  if (prune) {
    const wanted = new Set(desired.map((r) => r.id));
    for (const r of current)
      if (!wanted.has(r.id) && r.managed === "api") plan.remove.push({ id: r.id, etag: r.etag });
  }
  return plan;
}

export const planIsEmpty = (p: RulePlan) => p.create.length + p.update.length + p.remove.length === 0;

/** The plan as diff-like lines: `+ id`, `~ id (when, actions)`, `- id`, `= id`. */
export function planLines(p: RulePlan): string[] {
  return [
    ...p.create.map((r) => `+ ${r.id}  create (${r.name})`),
    ...p.update.map((u) => `~ ${u.id}  change ${u.keys.join(", ")}`),
    ...p.remove.map((r) => `- ${r.id}  delete`),
    ...p.fileManaged.map((id) => `! ${id}  differs, but comes from mailhook.yaml: change it there`),
    ...p.unchanged.map((id) => `= ${id}  unchanged`),
  ];
}
