import { Leaf } from "./condition.js";
import { type CompiledLeaf, compileLeaf } from "./leaf.js";

/** Deepest nesting of all/any/not accepted; a leaf at the top of `when` is depth 1. */
export const MAX_CONDITION_DEPTH = 16;

/** A compiled condition tree; leaves hold their precompiled tests. */
export type Node =
  | { kind: "all"; children: Node[] }
  | { kind: "any"; children: Node[] }
  | { kind: "not"; child: Node }
  | { kind: "leaf"; leaf: CompiledLeaf };

export interface Problem {
  /** Where in the input, e.g. `[0].when.all[1].value`. */
  path: string;
  reason: string;
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export function keyPath(path: string, key: string | number): string {
  return typeof key === "number" ? `${path}[${key}]` : path === "" ? key : `${path}.${key}`;
}

/**
 * Walks an untrusted condition, collecting every problem and building the compiled tree.
 * Returns null when anything below is wrong (problems then says what).
 */
export function buildTree(
  input: unknown,
  path: string,
  problems: Problem[],
  maxDepth = MAX_CONDITION_DEPTH,
  depth = 1,
  intern: (leaf: CompiledLeaf) => CompiledLeaf = (leaf) => leaf,
): Node | null {
  if (depth > maxDepth) {
    problems.push({ path, reason: `conditions nested deeper than ${maxDepth} levels` });
    return null;
  }
  if (!isObject(input)) {
    problems.push({
      path,
      reason:
        "a condition is an object: { all: [...] }, { any: [...] }, { not: {...} } or { field, op, value }",
    });
    return null;
  }
  const keys = Object.keys(input);
  for (const group of ["all", "any"] as const) {
    if (!(group in input)) continue;
    if (keys.length !== 1) return onlyKey(group, keys, path, problems);
    const list = input[group];
    const at = keyPath(path, group);
    if (!Array.isArray(list)) {
      problems.push({ path: at, reason: `"${group}" takes an array of conditions` });
      return null;
    }
    if (list.length === 0) {
      problems.push({ path: at, reason: `"${group}" is empty; it needs at least one condition` });
      return null;
    }
    const before = problems.length;
    const children = list.map((c, i) => buildTree(c, keyPath(at, i), problems, maxDepth, depth + 1, intern));
    if (problems.length > before) return null;
    return { kind: group, children: children as Node[] };
  }
  if ("not" in input) {
    if (keys.length !== 1) return onlyKey("not", keys, path, problems);
    const child = buildTree(input.not, keyPath(path, "not"), problems, maxDepth, depth + 1, intern);
    return child ? { kind: "not", child } : null;
  }
  if (!("field" in input) && !("op" in input)) {
    problems.push({
      path,
      reason: `expected all, any, not, or field + op; got keys: ${keys.join(", ") || "none"}`,
    });
    return null;
  }
  const parsed = Leaf.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push({
        path: issue.path.reduce<string>((p, k) => keyPath(p, k as string | number), path),
        reason: issue.message,
      });
    }
    return null;
  }
  const leaf = compileLeaf(parsed.data);
  if (!leaf.ok) {
    for (const p of leaf.problems) problems.push({ path: keyPath(path, p.key), reason: p.reason });
    return null;
  }
  return { kind: "leaf", leaf: intern(leaf.compiled) };
}

function onlyKey(key: string, keys: string[], path: string, problems: Problem[]): null {
  const extra = keys.filter((k) => k !== key).join(", ");
  problems.push({
    path,
    reason: `a "${key}" condition takes no other keys (found: ${extra}); wrap them in all/any`,
  });
  return null;
}
