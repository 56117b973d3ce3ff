import type { Condition, Leaf } from "@mailhook/rules";

/**
 * The condition tree as the editor changes it: every edit is a pure function from one tree to the
 * next, addressed by a path of child indexes (`[]` is the root, `[1, 0]` the first child of the
 * second child), so undo, the YAML view and validation all see plain `when` values.
 */
export type Path = readonly number[];

export type NodeKind = "all" | "any" | "not" | "leaf";

export function kindOf(c: Condition): NodeKind {
  if ("all" in c) return "all";
  if ("any" in c) return "any";
  if ("not" in c) return "not";
  return "leaf";
}

export function childrenOf(c: Condition): Condition[] {
  if ("all" in c) return c.all;
  if ("any" in c) return c.any;
  if ("not" in c) return [c.not];
  return [];
}

function withChildren(c: Condition, children: Condition[]): Condition {
  if ("all" in c) return { all: children };
  if ("any" in c) return { any: children };
  if ("not" in c) return { not: children[0] ?? newLeaf() };
  return c;
}

export const newLeaf = (): Leaf => ({ field: "subject", op: "contains", value: "" });

export function nodeAt(root: Condition, path: Path): Condition | undefined {
  let node: Condition | undefined = root;
  for (const i of path) node = node ? childrenOf(node)[i] : undefined;
  return node;
}

/** Replaces the node at `path` (the root for `[]`). */
export function replaceAt(root: Condition, path: Path, next: Condition): Condition {
  const [head, ...rest] = path;
  if (head === undefined) return next;
  const kids = childrenOf(root).slice();
  const child = kids[head];
  if (child === undefined) return root;
  kids[head] = replaceAt(child, rest, next);
  return withChildren(root, kids);
}

/** Removes the node at `path`; a group left empty keeps one fresh leaf (all/any need one). */
export function removeAt(root: Condition, path: Path): Condition {
  if (path.length === 0) return newLeaf();
  const parentPath = path.slice(0, -1);
  const parent = nodeAt(root, parentPath);
  if (!parent) return root;
  const index = path[path.length - 1] ?? 0;
  if (kindOf(parent) === "not") return replaceAt(root, parentPath, { not: newLeaf() });
  const kids = childrenOf(parent).filter((_, i) => i !== index);
  return replaceAt(root, parentPath, withChildren(parent, kids.length ? kids : [newLeaf()]));
}

/** Adds a child (a fresh leaf by default) to the group at `path`. */
export function addChild(root: Condition, path: Path, child: Condition = newLeaf()): Condition {
  const node = nodeAt(root, path);
  if (!node || (kindOf(node) !== "all" && kindOf(node) !== "any")) return root;
  return replaceAt(root, path, withChildren(node, [...childrenOf(node), child]));
}

/** Changes a group's kind (all ↔ any), keeps its children; `not` wraps, leaf unwraps. */
export function setKind(root: Condition, path: Path, kind: NodeKind): Condition {
  const node = nodeAt(root, path);
  if (!node || kindOf(node) === kind) return root;
  const kids = childrenOf(node);
  let next: Condition;
  if (kind === "leaf") next = kids[0] && kindOf(kids[0]) === "leaf" ? kids[0] : newLeaf();
  else if (kind === "not") next = { not: kindOf(node) === "leaf" ? node : (kids[0] ?? newLeaf()) };
  else next = kind === "all" ? { all: kids.length ? kids : [node] } : { any: kids.length ? kids : [node] };
  return replaceAt(root, path, next);
}

/** The value as the editor's text box shows it: a list for `in` is comma-separated. */
export function valueText(leaf: Leaf): string {
  const v = leaf.value;
  if (v === undefined) return "";
  if (Array.isArray(v)) return v.join(", ");
  return String(v);
}

/** The typed value for the op: a list for `in`, a number when the text is one for gt/lt/…, a boolean for exists. */
export function valueFromText(op: Leaf["op"], text: string): Leaf["value"] {
  if (op === "in")
    return text
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  if (op === "exists") return text.trim() === "false" ? false : undefined;
  if (["gt", "lt", "gte", "lte"].includes(op)) {
    const n = Number(text);
    return text.trim() !== "" && Number.isFinite(n) ? n : text;
  }
  return text;
}

/** Problems of one rule (from validateRules' paths) that belong to the node at `path`. */
export function whenPath(path: Path, root: Condition): string {
  let out = ".when";
  let node: Condition | undefined = root;
  for (const i of path) {
    if (!node) break;
    const k = kindOf(node);
    out += k === "not" ? ".not" : `.${k}[${i}]`;
    node = childrenOf(node)[i];
  }
  return out;
}
