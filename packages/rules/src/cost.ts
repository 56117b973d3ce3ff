import { isObject } from "./tree.js";

/**
 * Repetition width of a pattern: the sum over its counted repetitions (`{n}`, `{n,}`, `{n,m}`) of
 * the largest count times the width of what is repeated (nested counts multiply). re2 runs in
 * linear time, but its constant is the number of threads alive at once, and a counted repetition
 * keeps one thread per position inside it: `a.{100}a.{100}b$` has width 200 and costs about 2 s
 * per 256 KB on re2js, `a.{25}b$` (width 25) about 0.6 s. `*`, `+` and `?` do not multiply
 * threads and count nothing. Called only on patterns re2 compiled, so the syntax is valid.
 */
export function repeatWidth(pattern: string): number {
  // One frame per open group: the counted width inside it so far, and the last atom as a repeat
  // base (its width, and how much of that width was already counted inside it).
  type Frame = { sum: number; base: number; baseCounted: number };
  const stack: Frame[] = [{ sum: 0, base: 0, baseCounted: 0 }];
  const top = () => stack[stack.length - 1] as Frame;
  const atom = () => {
    const t = top();
    t.base = 1;
    t.baseCounted = 0;
  };
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "\\") {
      const next = pattern[i + 1] ?? "";
      const braced = /[pPx]/.test(next) && pattern[i + 2] === "{";
      i += braced ? Math.max(1, pattern.indexOf("}", i) - i) : 1;
      atom();
    } else if (ch === "[") {
      let j = i + 1;
      if (pattern[j] === "^") j++;
      if (pattern[j] === "]") j++;
      while (j < pattern.length && pattern[j] !== "]") {
        if (pattern[j] === "\\") j++;
        else if (pattern[j] === "[" && pattern[j + 1] === ":")
          j = Math.max(j, pattern.indexOf(":]", j + 2) + 1);
        j++;
      }
      i = j;
      atom();
    } else if (ch === "(") {
      stack.push({ sum: 0, base: 0, baseCounted: 0 });
    } else if (ch === ")") {
      const inner = stack.length > 1 ? (stack.pop() as Frame).sum : 0;
      const t = top();
      t.sum += inner;
      t.base = Math.max(1, inner);
      t.baseCounted = inner;
    } else if (ch === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i, i + 24));
      if (!m) {
        atom();
        continue;
      }
      const count = Math.max(1, Number(m[3] ? m[3] : m[1]));
      const t = top();
      t.sum += t.base * count - t.baseCounted;
      t.base *= count;
      t.baseCounted = t.base;
      i += m[0].length - 1;
    } else if (ch === "|" || ch === "^" || ch === "$") {
      top().base = 0;
      top().baseCounted = 0;
    } else if (ch !== "*" && ch !== "+" && ch !== "?") {
      atom();
    }
  }
  let total = 0;
  for (const f of stack) total += f.sum;
  return total;
}

/** Conditions in a `when` tree (leaves and groups), stopping as soon as `max` is passed. */
export function countConditions(when: unknown, max: number): number {
  let n = 0;
  const stack: unknown[] = [when];
  while (stack.length > 0 && n <= max) {
    const c = stack.pop();
    if (!isObject(c)) continue;
    n++;
    for (const g of ["all", "any"]) {
      const list = c[g];
      if (Array.isArray(list)) for (const x of list) stack.push(x);
    }
    if ("not" in c) stack.push(c.not);
  }
  return n;
}

/**
 * Nesting depth of a `when` tree as buildTree counts it, without recursion (a body of 5,000 nested
 * `not` must be refused before any recursive schema check overflows the stack). Stops at `max + 1`.
 */
export function conditionDepth(when: unknown, max: number): number {
  let deepest = 0;
  const stack: { c: unknown; depth: number }[] = [{ c: when, depth: 1 }];
  while (stack.length > 0) {
    const { c, depth } = stack.pop() as { c: unknown; depth: number };
    if (!isObject(c)) continue;
    if (depth > deepest) deepest = depth;
    if (deepest > max) return deepest;
    for (const g of ["all", "any"]) {
      const list = c[g];
      if (Array.isArray(list)) for (const x of list) stack.push({ c: x, depth: depth + 1 });
    }
    if ("not" in c) stack.push({ c: c.not, depth: depth + 1 });
  }
  return deepest;
}
