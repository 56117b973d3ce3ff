import { type Rule, validateRules } from "@mailhook/rules";
import type { Issue, PathSegment } from "./problem.js";

/** Validates the `rules:` list with @mailhook/rules, which owns the rule language. */
export function checkRules(input: unknown[]): { rules: Rule[]; issues: Issue[] } {
  const result = validateRules(input);
  if (result.ok) return { rules: result.rules, issues: [] };
  return {
    rules: [],
    issues: result.problems.map((p) => ({ path: ["rules", ...toSegments(p.path)], reason: p.reason })),
  };
}

/**
 * The rules package reports paths relative to the list it was given; accept the spellings it might
 * use (`[3].when.all[0].op`, `3.when.all.0.op`, or a segment array) and return segments.
 */
export function toSegments(path: unknown): PathSegment[] {
  if (Array.isArray(path))
    return path.map((s) => (typeof s === "number" ? s : /^\d+$/.test(String(s)) ? Number(s) : String(s)));
  if (typeof path !== "string" || path === "") return [];
  const segments: PathSegment[] = [];
  const re = /\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|([^.[\]]+)/g;
  for (const m of path.matchAll(re)) {
    if (m[1] !== undefined) segments.push(Number(m[1]));
    else if (m[2] !== undefined) segments.push(JSON.parse(`"${m[2]}"`) as string);
    else if (m[3] !== undefined) segments.push(/^\d+$/.test(m[3]) ? Number(m[3]) : m[3]);
  }
  return segments;
}
