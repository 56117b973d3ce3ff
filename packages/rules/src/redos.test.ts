import { describe, expect, it } from "vitest";
import { compileRules, evaluateRules } from "./compile.js";
import { message, rules, ruleWhen } from "./test-message.js";

// A safety test, not a benchmark: a backtracking engine takes longer than the universe has left.
describe("regexes run in linear time", () => {
  const input = `${"a".repeat(50 * 1024)}!`;
  for (const pattern of ["(a+)+$", "^(a|a)*$", "(a*)*b", "^(a|aa)+$"]) {
    it(`${pattern} against 50 KB of 'a' + '!' finishes fast`, () => {
      const compiled = compileRules(rules(ruleWhen({ field: "text", op: "matches", value: pattern })));
      const start = performance.now();
      const matched = evaluateRules(compiled, message({ text: input }));
      const ms = performance.now() - start;
      expect(matched).toHaveLength(0);
      expect(ms).toBeLessThan(500);
    });
  }
  it("the most complex pattern accepted stays fast on a 256 KB body", () => {
    let body = "";
    for (let i = 0; i < 256 * 1024; i++) body += i % 7 < 3 ? "a" : "b";
    const compiled = compileRules(rules(ruleWhen({ field: "text", op: "matches", value: "(a|b){100}c" })));
    const start = performance.now();
    expect(evaluateRules(compiled, message({ text: body }))).toHaveLength(0);
    expect(performance.now() - start).toBeLessThan(2000);
  });
  it("still matches when the pattern does match", () => {
    const compiled = compileRules(rules(ruleWhen({ field: "text", op: "matches", value: "^(a+)+!$" })));
    const start = performance.now();
    expect(evaluateRules(compiled, message({ text: input }))).toHaveLength(1);
    expect(performance.now() - start).toBeLessThan(500);
  });
  it("extract on the same input finishes fast too", () => {
    const compiled = compileRules(
      rules({
        name: "x",
        extract: { v: { field: "text", pattern: "((a+)+)!" } },
        actions: [{ type: "delete" }],
      }),
    );
    const start = performance.now();
    const [m] = evaluateRules(compiled, message({ text: input }));
    expect(performance.now() - start).toBeLessThan(500);
    expect(m?.extracted.v).toHaveLength(50 * 1024);
  });
});
