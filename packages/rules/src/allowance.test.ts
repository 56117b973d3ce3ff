import { describe, expect, it } from "vitest";
import { RegexAllowanceExceeded } from "./allowance.js";
import { compileRules, evaluateRules } from "./compile.js";
import { compileRegex } from "./regex.js";
import { message, rules, ruleWhen } from "./test-message.js";

/** Program size of a case-sensitive pattern, as the rules below compile it. */
function size(pattern: string): number {
  const r = compileRegex(pattern, "", true);
  if (!r.ok) throw new Error(r.reason);
  return r.re.programSize();
}

const SUBJECT = "Re: your invoice #4711 is overdue";
const mail = (text = "no words of interest") => message({ subject: SUBJECT, text });
const ids = (m: { rule: { id: string } }[]) => m.map((x) => x.rule.id);

describe("inline regex allowance (program size × characters, charged before each run)", () => {
  const set = compileRules(
    rules(
      ruleWhen(
        { field: "subject", op: "matches", value: "invoice\\s+#\\d+", caseSensitive: true },
        { id: "a" },
      ),
      ruleWhen({ field: "subject", op: "matches", value: "^Re:", caseSensitive: true }, { id: "b" }),
    ),
  );
  const cost = (size("invoice\\s+#\\d+") + size("^Re:")) * SUBJECT.length;

  it("gives the unmetered result when the allowance covers the runs", () => {
    const m = mail();
    expect(ids(evaluateRules(set, m, { regexSteps: cost }))).toEqual(ids(evaluateRules(set, m)));
    expect(ids(evaluateRules(set, m, { regexSteps: cost }))).toEqual(["a", "b"]);
  });

  it("throws before the run that would overdraw it, the runs summed over the message", () => {
    expect(() => evaluateRules(set, mail(), { regexSteps: cost - 1 })).toThrow(RegexAllowanceExceeded);
    // The first run alone fits; the second overdraws.
    const first = size("invoice\\s+#\\d+") * SUBJECT.length;
    expect(() => evaluateRules(set, mail(), { regexSteps: first })).toThrow(RegexAllowanceExceeded);
  });

  it("charges the characters the rule sees: the field cap bounds a long text", () => {
    const long = compileRules(
      rules(ruleWhen({ field: "text", op: "matches", value: "x+y", caseSensitive: true }, { id: "t" })),
    );
    const m = mail("x".repeat(100_000));
    const steps = size("x+y") * 1000;
    expect(() => evaluateRules(long, m, { regexSteps: steps })).toThrow(RegexAllowanceExceeded);
    expect(evaluateRules(long, m, { regexSteps: steps, maxFieldChars: 1000 })).toEqual([]);
  });

  it("does not charge a run its literal prefilter rules out", () => {
    const folded = compileRules(
      rules(ruleWhen({ field: "text", op: "matches", value: "outage|downtime" }, { id: "o" })),
    );
    const quiet = mail("a long text about nothing in particular ".repeat(2000));
    expect(evaluateRules(folded, quiet, { regexSteps: 1 })).toEqual([]);
    const loud = mail(`${"filler ".repeat(2000)}planned downtime`);
    expect(() => evaluateRules(folded, loud, { regexSteps: 1000 })).toThrow(RegexAllowanceExceeded);
    expect(ids(evaluateRules(folded, loud, { regexSteps: 1_000_000 }))).toEqual(["o"]);
  });

  it("charges extracts too", () => {
    const extracting = compileRules(
      rules(ruleWhen(undefined, { id: "x", extract: { no: { field: "subject", pattern: "#(\\d+)" } } })),
    );
    const m = mail();
    expect(() => evaluateRules(extracting, m, { regexSteps: 1 })).toThrow(RegexAllowanceExceeded);
    expect(evaluateRules(extracting, m, { regexSteps: 10_000 })[0]?.extracted).toEqual({ no: "4711" });
  });
});
