import { describe, expect, it } from "vitest";
import { compileRules, evaluateRules } from "./compile.js";
import { message, rules, ruleWhen } from "./test-message.js";

// A safety test, not a benchmark: a backtracking engine takes longer than the universe has left.
// Bounds are relative to a benign pattern timed on the same input in the same run, so a loaded
// machine (which slows both alike) cannot fail them; exponential backtracking still would.
const timed = (f: () => unknown): number => {
  const start = performance.now();
  f();
  return performance.now() - start;
};
const benignMs = (text: string) =>
  Math.min(
    ...[1, 2, 3].map(() =>
      timed(() =>
        evaluateRules(
          compileRules(rules(ruleWhen({ field: "text", op: "contains", value: "zz" }))),
          message({ text }),
        ),
      ),
    ),
  );
const budget = (text: string) => benignMs(text) * 50 + 250;

describe("regexes run in linear time", () => {
  const input = `${"a".repeat(50 * 1024)}!`;
  for (const pattern of ["(a+)+$", "^(a|a)*$", "(a*)*b", "^(a|aa)+$"]) {
    it(`${pattern} against 50 KB of 'a' + '!' finishes fast`, () => {
      const compiled = compileRules(rules(ruleWhen({ field: "text", op: "matches", value: pattern })));
      let matched: unknown[] = [];
      const ms = timed(() => {
        matched = evaluateRules(compiled, message({ text: input }));
      });
      expect(matched).toHaveLength(0);
      expect(ms).toBeLessThan(budget(input));
    });
  }
  it("the most complex pattern accepted stays fast on a 256 KB body", () => {
    let body = "";
    for (let i = 0; i < 256 * 1024; i++) body += i % 7 < 3 ? "a" : "b";
    const compiled = compileRules(rules(ruleWhen({ field: "text", op: "matches", value: "(a|b){100}c" })));
    const start = performance.now();
    expect(evaluateRules(compiled, message({ text: body }))).toHaveLength(0);
    expect(performance.now() - start).toBeLessThan(budget(body) * 4);
  });
  it("still matches when the pattern does match", () => {
    const compiled = compileRules(rules(ruleWhen({ field: "text", op: "matches", value: "^(a+)+!$" })));
    const start = performance.now();
    expect(evaluateRules(compiled, message({ text: input }))).toHaveLength(1);
    expect(performance.now() - start).toBeLessThan(budget(input));
  });
  it("extract on the same input finishes fast too", () => {
    const extracting = (pattern: string) =>
      compileRules(
        rules({ name: "x", extract: { v: { field: "text", pattern } }, actions: [{ type: "delete" }] }),
      );
    const compiled = extracting("((a+)+)!");
    // The baseline captures the same 50 KB with a pattern no engine can backtrack on.
    const benign = extracting("(a+)!");
    const benignExtractMs = Math.min(
      ...[1, 2, 3].map(() => timed(() => evaluateRules(benign, message({ text: input })))),
    );
    const start = performance.now();
    const [m] = evaluateRules(compiled, message({ text: input }));
    expect(performance.now() - start).toBeLessThan(benignExtractMs * 10 + 250);
    expect(m?.extracted.v).toHaveLength(50 * 1024);
  });
});
