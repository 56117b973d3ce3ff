import { describe, expect, it } from "vitest";
import { compileRules, evaluateRules } from "./compile.js";
import { conditionDepth, countConditions, repeatWidth } from "./cost.js";
import { explainRules } from "./explain.js";
import { message, rules, ruleWhen } from "./test-message.js";
import { validateRules } from "./validate.js";

describe("repeatWidth", () => {
  it.each([
    ["invoice|rechnung", 0],
    ["(a+)+$", 0],
    ["^[^@]+@vendor\\.com$", 0],
    ["\\d{4}-\\d{2}-\\d{2}", 8],
    ["[a-z]{2,63}", 63],
    ["x{3,}", 3],
    ["a.{100}a.{100}b$", 200],
    ["(a|b){330}c", 330],
    ["(.{10}){10}", 100],
    ["(ab.{5}){4}", 20],
    ["\\p{Greek}{3}", 3],
    ["[{]{2}", 2],
    ["a{,5}", 0],
  ])("%s → %i", (pattern, width) => {
    expect(repeatWidth(pattern)).toBe(width);
  });
});

describe("the shape of a rule is bounded before any schema check", () => {
  const nested = (n: number): unknown => {
    let c: unknown = { field: "subject", op: "exists" };
    for (let i = 0; i < n; i++) c = { not: c };
    return c;
  };
  it("5,000 nested `not` are refused with a reason, not a stack overflow", () => {
    const r = validateRules([{ name: "deep", when: nested(5000), actions: [{ type: "delete" }] }]);
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.problems).toEqual([
        { path: `[0].when${".not".repeat(16)}`, reason: "conditions nested deeper than 16 levels" },
      ]);
  });
  it("depth and count are measured without recursion", () => {
    expect(conditionDepth(nested(100_000), 16)).toBe(17);
    expect(conditionDepth(nested(3), 16)).toBe(4);
    expect(countConditions({ all: [{ not: { field: "a" } }, { field: "b" }] }, 100)).toBe(4);
  });
  it("refuses more conditions than the cap, and takes the cap from the options", () => {
    const leaves = Array.from({ length: 120 }, (_, i) => ({
      field: "subject",
      op: "contains",
      value: `w${i}`,
    }));
    const body = [{ name: "many", when: { any: leaves }, actions: [{ type: "delete" }] }];
    const r = validateRules(body);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]?.reason).toMatch(/more than 100 conditions/);
    expect(validateRules(body, { limits: { maxConditions: 200 } }).ok).toBe(true);
  });
});

describe("pattern width is capped where rules are saved", () => {
  it("refuses a.{100}a.{100}b$ in a condition and in an extract, and says what to change", () => {
    const r = validateRules([
      {
        name: "hostile",
        when: { field: "text", op: "matches", value: "a.{100}a.{100}b$" },
        extract: { v: { field: "text", pattern: "(x.{60}){2}" } },
        actions: [{ type: "delete" }],
      },
    ]);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems.map((p) => p.path)).toEqual(["[0].when.value", "[0].extract.v.pattern"]);
      expect(r.problems[0]?.reason).toMatch(/add up to 200, the limit is 100/);
    }
  });
  it("accepts ordinary patterns and a width up to the cap", () => {
    expect(() =>
      rules(ruleWhen({ field: "subject", op: "matches", value: "invoice\\s+#\\d{1,10}" })),
    ).not.toThrow();
    expect(() => rules(ruleWhen({ field: "text", op: "matches", value: "a.{50}a.{50}b" }))).not.toThrow();
  });
});

describe("text evaluated per field is capped", () => {
  const text = `${"x".repeat(300 * 1024)}needle`;
  const compiled = compileRules(rules(ruleWhen({ field: "text", op: "contains", value: "needle" })));
  it("a value past the cap is not seen (default: the worker's 256 KB text cap)", () => {
    expect(evaluateRules(compiled, message({ text }))).toHaveLength(0);
    expect(evaluateRules(compiled, message({ text }), { maxFieldChars: 400 * 1024 })).toHaveLength(1);
  });
  it("the dry run's explanation sees the same cut text", () => {
    const [e] = explainRules(
      compiled.rules.map((c) => c.rule),
      message({ text }),
    );
    expect(e?.matched).toBe(false);
  });
});
