import type { MailMessage } from "@mailhook/model";
import { message } from "@mailhook/model/fixtures";
import { compileRules, evaluateRules, type Rule, validateRules } from "@mailhook/rules";
import { afterAll, describe, expect, it } from "vitest";
import { createRulePool, DEFAULT_INLINE_REGEX_STEPS } from "./pool.js";

const HOSTILE = "a.{100}a.{100}b$";

/** Builds rules without the save-time caps: the pool must hold even rules stored before them. */
function rulesOf(...list: { id: string; when: unknown; priority?: number }[]): Rule[] {
  return list.map((r) => {
    const v = validateRules([{ name: r.id, ...r, actions: [{ type: "delete" }] }], {
      limits: { maxRepeat: 10_000 },
    });
    if (!v.ok) throw new Error(JSON.stringify(v.problems));
    return v.rules[0] as Rule;
  });
}

function mail(text: string): MailMessage {
  return message({
    messageId: "<m@x>",
    threadKey: "<m@x>",
    uid: 1,
    date: null,
    subject: "Invoice 42",
    from: [{ name: "", address: "billing@vendor.com" }],
    to: [],
    size: text.length,
    text,
  });
}

// 1 MB of a/b at random, then "x": the hostile pattern never matches and costs ~8 s on re2js
// (2 s per 256 KB), far past the budget even on an idle machine, while the normal rules take
// microseconds, far inside it even on a machine at load 20.
let seed = 7;
const rnd = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const hostileText = `${Array.from({ length: 1024 * 1024 }, () => (rnd() < 0.5 ? "a" : "b")).join("")}x`;

// The hostile rule over 1 MB takes ~1.4 s on a fast machine: the budget stays well below it.
const BUDGET = 300;
// No inline allowance: every rule set with a regex takes the thread path these tests are about.
const pool = createRulePool({
  threads: 1,
  budgetMs: BUDGET,
  maxFieldChars: 2 * 1024 * 1024,
  inlineRegexSteps: 0,
});
const inline = createRulePool({ threads: 1, budgetMs: BUDGET, maxFieldChars: 2 * 1024 * 1024 });
afterAll(() => Promise.all([pool.close(), inline.close()]));

describe("rule pool", () => {
  it("evaluates regex rules in a thread with the same result as inline", async () => {
    const rules = rulesOf(
      { id: "inv", when: { field: "subject", op: "matches", value: "invoice\\s+(\\d+)" } },
      { id: "nope", when: { field: "subject", op: "matches", value: "^receipt" } },
    );
    const compiled = compileRules(rules);
    const m = mail("hello");
    const { value, exceeded } = await pool.evaluate("t1", compiled, m);
    expect(exceeded).toEqual([]);
    expect(value.map((x) => x.rule.id)).toEqual(evaluateRules(compiled, m).map((x) => x.rule.id));
    expect(value.map((x) => x.rule.id)).toEqual(["inv"]);
  }, 60_000);

  it("stops a rule at the budget, reports it, and still evaluates the others", async () => {
    const rules = rulesOf(
      { id: "hostile", priority: 1, when: { field: "text", op: "matches", value: HOSTILE } },
      { id: "normal", priority: 2, when: { field: "subject", op: "matches", value: "invoice" } },
    );
    const { value, exceeded } = await pool.evaluate("evil", compileRules(rules), mail(hostileText));
    expect(exceeded).toEqual([{ ruleId: "hostile", budgetMs: BUDGET }]);
    expect(value.map((x) => x.rule.id)).toEqual(["normal"]);
  }, 60_000);

  it("the dry run's explanation marks the rule skipped for budget", async () => {
    const rules = rulesOf(
      { id: "normal", priority: 1, when: { field: "subject", op: "contains", value: "invoice" } },
      { id: "hostile", priority: 2, when: { field: "text", op: "matches", value: HOSTILE } },
    );
    const { value, exceeded } = await pool.explain("evil", rules, mail(hostileText));
    expect(exceeded.map((e) => e.ruleId)).toEqual(["hostile"]);
    expect(value.map((r) => [r.rule.id, r.matched, r.skipped])).toEqual([
      ["normal", true, null],
      ["hostile", false, "budget"],
    ]);
  }, 60_000);

  it("tenants take turns: another tenant's message is not queued behind a hostile tenant's backlog", async () => {
    const hostile = compileRules(
      rulesOf({ id: "h", when: { field: "text", op: "matches", value: HOSTILE } }),
    );
    const normal = compileRules(
      rulesOf({ id: "n", when: { field: "subject", op: "matches", value: "invoice" } }),
    );
    const order: string[] = [];
    const a = [1, 2, 3].map((i) =>
      pool.evaluate("A", hostile, mail(hostileText)).then(() => order.push(`A${i}`)),
    );
    const b = pool.evaluate("B", normal, mail("hi")).then((r) => {
      order.push("B");
      return r;
    });
    const [rb] = await Promise.all([b, ...a]);
    expect(rb.value.map((x) => x.rule.id)).toEqual(["n"]);
    expect(order.indexOf("B")).toBeLessThan(order.indexOf("A3"));
  }, 60_000);

  it("regex rules within the inline allowance skip the thread; over it, the thread and its budget", async () => {
    const rules = rulesOf(
      { id: "hostile", priority: 1, when: { field: "text", op: "matches", value: HOSTILE } },
      { id: "normal", priority: 2, when: { field: "subject", op: "matches", value: "invoice" } },
    );
    const compiled = compileRules(rules);
    const small = mail("hello");
    const a = await inline.evaluate("t1", compiled, small);
    expect(a.value.map((x) => x.rule.id)).toEqual(evaluateRules(compiled, small).map((x) => x.rule.id));
    expect(a.value.map((x) => x.rule.id)).toEqual(["normal"]);
    expect(inline.counts()).toEqual({ inline: 1, threaded: 0 });
    // 1 MB × the hostile program is far over the allowance: the thread's budget stops the rule.
    expect(HOSTILE.length * hostileText.length).toBeGreaterThan(DEFAULT_INLINE_REGEX_STEPS);
    const b = await inline.evaluate("evil", compiled, mail(hostileText));
    expect(b.exceeded).toEqual([{ ruleId: "hostile", budgetMs: BUDGET }]);
    expect(b.value.map((x) => x.rule.id)).toEqual(["normal"]);
    expect(inline.counts()).toEqual({ inline: 1, threaded: 1 });
  }, 60_000);

  it("a list the thread failed to compile is sent again with the next task, not taken as known", async () => {
    const compiled = compileRules(
      rulesOf({ id: "r", when: { field: "subject", op: "matches", value: "invoice" } }),
    );
    // What the thread receives no longer validates, so its compile throws every time.
    const first = compiled.rules[0];
    if (!first) throw new Error("expected a rule");
    const broken = {
      ...compiled,
      rules: [{ ...first, rule: { ...first.rule, when: { field: "nope" } } as Rule }],
    };
    const errors: string[] = [];
    for (let i = 0; i < 2; i++)
      await pool.evaluate("t1", broken, mail("x")).catch((e: Error) => errors.push(e.message));
    expect(errors).toHaveLength(2);
    for (const e of errors) expect(e).toMatch(/invalid \(run validateRules first\)/);
  }, 60_000);

  it("rule sets without regexes run inline (bounded cost, no thread hop)", async () => {
    const compiled = compileRules(
      rulesOf({ id: "c", when: { field: "text", op: "contains", value: "zzz" } }),
    );
    const { value } = await pool.evaluate("t1", compiled, mail(hostileText));
    expect(value).toEqual([]);
  });
});
