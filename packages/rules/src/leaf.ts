import { charge, type RegexMeter } from "./allowance.js";
import type { Leaf, Op } from "./condition.js";
import { type FieldKind, type FieldSpec, type FieldValue, parseField } from "./fields.js";
import { passes } from "./prefilter.js";
import { compileRegex } from "./regex.js";
import { foldText, nfc } from "./text.js";

export { foldText } from "./text.js";

/** Longest `in` list; longer lists belong in a real lookup, not in a rule evaluated per message. */
export const MAX_IN_VALUES = 1000;

const OPS_BY_KIND: Record<FieldKind, readonly Op[]> = {
  text: ["equals", "contains", "startsWith", "endsWith", "matches", "in", "exists"],
  number: ["equals", "in", "exists", "gt", "lt", "gte", "lte"],
  date: ["exists", "gt", "lt", "gte", "lte"],
  boolean: ["equals"],
};

/**
 * Values of one field for one message (text already case-folded when the leaf folds), the time
 * relative dates count from, for prefiltered regexes the folded values in the same order, and the
 * meter regex runs are charged to (null: not metered).
 */
export type LeafTest = (
  values: readonly FieldValue[],
  now: number,
  folded: readonly FieldValue[] | null,
  meter: RegexMeter | null,
) => boolean;

export interface CompiledLeaf {
  leaf: Leaf;
  spec: FieldSpec;
  /** Whether `test` wants case-folded text values (regexes fold inside re2 instead). */
  fold: boolean;
  /** Whether `test` also wants the folded values (a case-folding regex with a literal prefilter). */
  wantsFolded: boolean;
  test: LeafTest;
  /** Index of this leaf's memo slot, shared by identical leaves of one rule set; -1 = not memoised. */
  slot: number;
}

export interface LeafProblem {
  /** Key inside the leaf the problem is about (`field`, `op`, `value`, `flags`). */
  key: string;
  reason: string;
}

export type LeafResult = { ok: true; compiled: CompiledLeaf } | { ok: false; problems: LeafProblem[] };

const SIZE = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|k|m|g)?\s*$/i;
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
};

/** Numbers as written, or sizes like "10MB" (binary units: 1 KB = 1024 bytes). */
function toNumber(v: unknown): number | null {
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (typeof v !== "string") return null;
  const m = SIZE.exec(v);
  if (!m?.[1]) return null;
  return Math.round(Number(m[1]) * (SIZE_UNITS[(m[2] ?? "b").toLowerCase()] ?? 1));
}

const RELATIVE = /^([+-])(\d+)([smhdw])$/;
const UNIT_MS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86_400e3, w: 604_800e3 };

/** An ISO date, or a duration relative to evaluation time ("-7d" = seven days ago). */
function toDate(v: unknown): ((now: number) => number) | null {
  if (typeof v !== "string") return null;
  const rel = RELATIVE.exec(v.trim());
  if (rel) {
    const ms = Number(rel[2]) * (UNIT_MS[rel[3] ?? "d"] ?? 0) * (rel[1] === "-" ? -1 : 1);
    return (now) => now + ms;
  }
  // Only ISO-like strings: Date.parse also accepts things like "1" that users never mean as a date.
  if (!/^\d{4}-\d{2}-\d{2}/.test(v)) return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : () => ms;
}

const cmp: Record<"gt" | "lt" | "gte" | "lte", (a: number, b: number) => boolean> = {
  gt: (a, b) => a > b,
  lt: (a, b) => a < b,
  gte: (a, b) => a >= b,
  lte: (a, b) => a <= b,
};

/** "Any value matches": the semantics of every multi-valued field. */
function some(pred: (v: FieldValue) => boolean): LeafTest {
  return (values) => {
    for (const v of values) if (pred(v)) return true;
    return false;
  };
}

function describe(v: unknown): string {
  return Array.isArray(v) ? "an array" : v === undefined ? "nothing" : `a ${typeof v}`;
}

/**
 * Checks one leaf and turns it into a test. Validation and compilation share this code, so a rule
 * that validated always compiles, and every problem is reported with the key it is about.
 */
export function compileLeaf(leaf: Leaf): LeafResult {
  const problems: LeafProblem[] = [];
  const spec = parseField(leaf.field);
  if (!spec) {
    return {
      ok: false,
      problems: [{ key: "field", reason: `unknown field "${leaf.field}" (see docs/rules.md for the list)` }],
    };
  }
  const { op } = leaf;
  if (!OPS_BY_KIND[spec.kind].includes(op)) {
    const allowed = OPS_BY_KIND[spec.kind].join(", ");
    return {
      ok: false,
      problems: [
        {
          key: "op",
          reason: `op "${op}" does not apply to ${spec.kind} field "${leaf.field}" (use ${allowed})`,
        },
      ],
    };
  }
  if (leaf.flags !== undefined && op !== "matches") {
    problems.push({ key: "flags", reason: `flags only apply to op "matches"` });
  }
  if (leaf.caseSensitive !== undefined && spec.kind !== "text") {
    problems.push({
      key: "caseSensitive",
      reason: `caseSensitive only applies to text fields; "${leaf.field}" is a ${spec.kind}`,
    });
  }
  const fold = spec.kind === "text" && leaf.caseSensitive !== true && op !== "matches";
  const built = buildTest(spec, leaf, fold, problems);
  if (problems.length > 0 || !built) return { ok: false, problems };
  const [test, wantsFolded] = typeof built === "function" ? [built, false] : [built.test, true];
  return { ok: true, compiled: { leaf, spec, fold, wantsFolded, test, slot: -1 } };
}

function buildTest(
  spec: FieldSpec,
  leaf: Leaf,
  fold: boolean,
  problems: LeafProblem[],
): LeafTest | { test: LeafTest } | null {
  const { op, value } = leaf;
  const bad = (expected: string): null => {
    problems.push({
      key: "value",
      reason: `op "${op}" on ${spec.kind} field "${leaf.field}" needs ${expected}, got ${describe(value)}`,
    });
    return null;
  };

  if (op === "exists") {
    if (value !== undefined && typeof value !== "boolean") return bad("no value, or true/false");
    const want = value !== false;
    return (values) => values.some((v) => v !== "") === want;
  }

  if (op === "in") {
    if (!Array.isArray(value) || value.length === 0) return bad("a non-empty array");
    if (value.length > MAX_IN_VALUES) return bad(`at most ${MAX_IN_VALUES} values`);
    if (spec.kind === "text") {
      if (!value.every((v) => typeof v === "string")) return bad("an array of strings");
      const set = new Set(value.map((v) => (fold ? foldText(v) : nfc(v))));
      return some((v) => set.has(v as string));
    }
    const nums = value.map(toNumber);
    if (nums.some((n) => n === null)) return bad("an array of numbers");
    const set = new Set(nums);
    return some((v) => set.has(v as number));
  }

  switch (spec.kind) {
    case "boolean":
      if (typeof value !== "boolean") return bad("true or false");
      return some((v) => v === value);
    case "number": {
      const n = toNumber(value);
      if (n === null) return bad('a number (or a size like "10MB")');
      if (op === "equals") return some((v) => v === n);
      const c = cmp[op as keyof typeof cmp];
      return some((v) => c(v as number, n));
    }
    case "date": {
      const at = toDate(value);
      if (!at)
        return bad('an ISO date ("2024-05-01", "2024-05-01T10:00:00Z") or a relative time ("-7d", "-12h")');
      const c = cmp[op as keyof typeof cmp];
      return (values, now) => {
        const t = at(now);
        return values.some((v) => c(v as number, t));
      };
    }
    case "text":
      break;
  }

  if (typeof value !== "string") return bad("a string");
  if (op === "matches") {
    const r = compileRegex(value, leaf.flags ?? "", leaf.caseSensitive === true);
    if (!r.ok) {
      problems.push({
        key: leaf.flags && r.reason.startsWith("unknown regex flag") ? "flags" : "value",
        reason: r.reason,
      });
      return null;
    }
    const { re, prefilter } = r;
    const size = re.programSize();
    if (!prefilter) {
      return (values, _now, _folded, meter) => {
        for (const v of values) {
          charge(meter, size, (v as string).length);
          if (re.test(v as string)) return true;
        }
        return false;
      };
    }
    // The folded value rules the regex out cheaply when a required literal is missing; only the
    // runs that happen are charged.
    return {
      test: (values, _now, folded, meter) => {
        for (let i = 0; i < values.length; i++) {
          const f = folded?.[i];
          if (typeof f === "string" && !passes(prefilter, f)) continue;
          const v = values[i] as string;
          charge(meter, size, v.length);
          if (re.test(v)) return true;
        }
        return false;
      },
    };
  }
  const needle = fold ? foldText(value) : nfc(value);
  switch (op) {
    case "equals":
      return some((v) => v === needle);
    case "contains":
      return some((v) => (v as string).includes(needle));
    case "startsWith":
      return some((v) => (v as string).startsWith(needle));
    case "endsWith":
      return some((v) => (v as string).endsWith(needle));
    default:
      return bad("a known op");
  }
}
