import { describe, expect, it } from "vitest";
import type { Condition } from "./condition.js";
import { ruleWhen } from "./test-message.js";
import { validateRules } from "./validate.js";

function problems(input: unknown[], maxDepth?: number) {
  const r = validateRules(input, maxDepth === undefined ? {} : { maxDepth });
  if (r.ok) throw new Error("expected problems");
  return r.problems;
}
const problemsOf = (when: unknown) => problems([ruleWhen(when as Condition)]);

function nest(depth: number): Condition {
  let c: Condition = { field: "subject", op: "exists" };
  for (let i = 1; i < depth; i++) c = { not: c };
  return c;
}

describe("validateRules: valid input", () => {
  it("applies defaults and assigns stable ids", () => {
    const input = [{ name: "a", actions: [{ type: "webhook", endpoint: "ep_1" }] }];
    const r = validateRules(input);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const [rule] = r.rules;
    expect(rule).toMatchObject({ name: "a", enabled: true, priority: 100, stop: false });
    expect(rule?.actions[0]).toEqual({
      type: "webhook",
      endpoint: "ep_1",
      include: { text: true, html: false, headers: false, attachments: "metadata", raw: false },
    });
    expect(rule?.id).toBe("a");
    const again = validateRules(structuredClone(input));
    expect(again.ok && again.rules[0]?.id).toBe(rule?.id);
  });
  it("keeps explicit ids and derives readable, distinct ids from names", () => {
    const named = (name: string, id?: string) => ({
      name,
      actions: [{ type: "delete" }],
      ...(id ? { id } : {}),
    });
    const r = validateRules([
      named("same", "mine"),
      named("Same"),
      named("same"),
      named("Rechnungen → Buchhaltung (Ü)"),
      named("★★★"),
      named("x", "same-3"),
      named("same"),
    ]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.rules.map((x) => x.id)).toEqual([
      "mine",
      "same",
      "same-2",
      "rechnungen-buchhaltung-u",
      "rule",
      "same-3",
      "same-4",
    ]);
  });
  it("accepts every action type", () => {
    const r = validateRules([
      {
        name: "all actions",
        actions: [
          { type: "webhook", endpoint: "ep", include: { html: true, attachments: "content" } },
          { type: "copy", to: "Archive" },
          { type: "flag", add: ["\\Seen"], remove: ["$Todo"], after: "webhook" },
          { type: "move", to: "Done", after: "webhook" },
        ],
      },
      { name: "delete", actions: [{ type: "delete", expunge: true }] },
    ]);
    expect(r.ok).toBe(true);
  });
  it("accepts nesting up to the limit", () => {
    expect(validateRules([ruleWhen(nest(16))]).ok).toBe(true);
    expect(validateRules([ruleWhen(nest(4))], { maxDepth: 4 }).ok).toBe(true);
  });
});

describe("validateRules: every problem, with its path", () => {
  it("unknown field", () => {
    expect(problemsOf({ field: "subjekt", op: "equals", value: "x" })).toEqual([
      { path: "[0].when.field", reason: expect.stringContaining('unknown field "subjekt"') },
    ]);
    expect(problemsOf({ field: "from.street", op: "equals", value: "x" })[0]?.path).toBe("[0].when.field");
    expect(problemsOf({ field: "header:bad name", op: "exists" })[0]?.path).toBe("[0].when.field");
  });
  it("op that does not apply to the field", () => {
    expect(problemsOf({ field: "size", op: "contains", value: "1" })).toEqual([
      {
        path: "[0].when.op",
        reason: expect.stringContaining('op "contains" does not apply to number field'),
      },
    ]);
    expect(problemsOf({ field: "subject", op: "gt", value: 3 })[0]?.path).toBe("[0].when.op");
    expect(problemsOf({ field: "date", op: "equals", value: "2024-01-01" })[0]?.path).toBe("[0].when.op");
    expect(problemsOf({ field: "hasAttachments", op: "exists" })[0]?.path).toBe("[0].when.op");
    expect(problemsOf({ field: "subject", op: "between", value: 3 })[0]?.path).toBe("[0].when.op");
  });
  it("value of the wrong type for the op", () => {
    const cases: unknown[] = [
      { field: "subject", op: "equals", value: 3 },
      { field: "subject", op: "contains" },
      { field: "subject", op: "in", value: "a" },
      { field: "subject", op: "in", value: [] },
      { field: "subject", op: "in", value: ["a", 1] },
      { field: "size", op: "gt", value: "big" },
      { field: "size", op: "in", value: ["x"] },
      { field: "date", op: "gt", value: "yesterday" },
      { field: "date", op: "gt", value: 5 },
      { field: "hasAttachments", op: "equals", value: "yes" },
      { field: "subject", op: "exists", value: "yes" },
    ];
    for (const c of cases) {
      expect(problemsOf(c), JSON.stringify(c)).toEqual([
        { path: "[0].when.value", reason: expect.stringContaining("needs") },
      ]);
    }
  });
  it("empty all / any", () => {
    expect(problemsOf({ any: [] })).toEqual([
      { path: "[0].when.any", reason: expect.stringContaining("empty") },
    ]);
    expect(problemsOf({ not: { all: [] } })).toEqual([
      { path: "[0].when.not.all", reason: expect.stringContaining("empty") },
    ]);
  });
  it("malformed condition objects", () => {
    expect(problemsOf({ all: [{ field: "subject", op: "exists" }], any: [] })[0]?.path).toBe("[0].when");
    expect(problemsOf({ foo: 1 })[0]?.reason).toContain("expected all, any, not");
    expect(problemsOf("subject")[0]?.path).toBe("[0].when");
    expect(problemsOf({ all: "x" })[0]?.path).toBe("[0].when.all");
    expect(problemsOf({ field: "subject", op: "exists", extra: 1 })).toEqual([
      { path: "[0].when", reason: expect.stringContaining("extra") },
    ]);
  });
  it("regex refused by re2js, with its reason", () => {
    expect(problemsOf({ field: "subject", op: "matches", value: "a(?=b)" })).toEqual([
      { path: "[0].when.value", reason: expect.stringMatching(/regex refused by re2: .*\(\?=/) },
    ]);
    expect(problemsOf({ field: "subject", op: "matches", value: "(a)\\1" })[0]?.reason).toContain(
      "invalid escape",
    );
    expect(problemsOf({ field: "subject", op: "matches", value: "[" })[0]?.reason).toContain(
      "missing closing ]",
    );
    expect(problemsOf({ field: "subject", op: "matches", value: "a".repeat(1001) })[0]?.reason).toContain(
      "longer than",
    );
  });
  it("bad regex flags, and flags on an op that is not matches", () => {
    expect(problemsOf({ field: "subject", op: "matches", value: "a", flags: "ig" })).toEqual([
      { path: "[0].when.flags", reason: expect.stringContaining('unknown regex flag "g"') },
    ]);
    expect(problemsOf({ field: "subject", op: "contains", value: "a", flags: "i" })[0]?.path).toBe(
      "[0].when.flags",
    );
  });
  it("caseSensitive on a field that is not text", () => {
    expect(problemsOf({ field: "size", op: "gt", value: 1, caseSensitive: true })).toEqual([
      { path: "[0].when.caseSensitive", reason: expect.stringContaining("only applies to text fields") },
    ]);
  });
  it("too deep", () => {
    expect(problems([ruleWhen(nest(17))])).toEqual([
      { path: `[0].when${".not".repeat(16)}`, reason: "conditions nested deeper than 16 levels" },
    ]);
    expect(problems([ruleWhen(nest(5))], 4)[0]?.reason).toContain("deeper than 4");
  });
  it("bad extract: pattern, flags, field", () => {
    const rule = {
      name: "x",
      actions: [{ type: "delete" }],
      extract: {
        a: { field: "subject", pattern: "(?<=x)y" },
        b: { field: "nope", pattern: "(x)" },
        c: { field: "size", pattern: "(x)" },
        d: { field: "subject", pattern: "(x)", flags: "q" },
      },
    };
    expect(problems([rule])).toEqual([
      { path: "[0].extract.a.pattern", reason: expect.stringContaining("regex refused") },
      { path: "[0].extract.b.field", reason: expect.stringContaining("unknown field") },
      { path: "[0].extract.c.field", reason: expect.stringContaining("text fields") },
      { path: "[0].extract.d.flags", reason: expect.stringContaining("unknown regex flag") },
    ]);
  });
  it("duplicate ids", () => {
    const r = { name: "x", actions: [{ type: "delete" }] };
    expect(
      problems([
        { ...r, id: "a" },
        { ...r, id: "b" },
        { ...r, id: "a" },
      ]),
    ).toEqual([{ path: "[2].id", reason: 'duplicate id "a" (also rule [0])' }]);
  });
  it("schema problems: missing name, no actions, unknown keys, bad action", () => {
    const got = problems([
      { actions: [] },
      { name: "x", actions: [{ type: "webhook" }], colour: "red" },
      { name: "x", actions: [{ type: "flag" }, { type: "teleport" }] },
    ]);
    const paths = got.map((p) => p.path);
    expect(paths).toContain("[0].name");
    expect(paths).toContain("[0].actions");
    expect(paths).toContain("[1].actions[0].endpoint");
    expect(got.find((p) => p.path === "[1]")?.reason).toContain("colour");
    expect(got.find((p) => p.path === "[2].actions[0]")?.reason).toContain("add or remove");
    expect(paths).toContain("[2].actions[1].type");
  });
  it("semantic action problems", () => {
    expect(problems([{ name: "x", actions: [{ type: "move", to: "A", after: "webhook" }] }])).toEqual([
      { path: "[0].actions[0].after", reason: expect.stringContaining("needs a webhook action") },
    ]);
    expect(problems([{ name: "x", actions: [{ type: "move", to: "A" }, { type: "delete" }] }])).toEqual([
      { path: "[0].actions[1]", reason: expect.stringContaining("only once") },
    ]);
  });
  it("lists every problem across the tree and across rules", () => {
    const got = problems([
      ruleWhen({
        all: [
          { field: "nope", op: "equals", value: 1 },
          { any: [] },
          { field: "size", op: "contains", value: "x" },
          { not: { field: "subject", op: "matches", value: "(?!x)" } },
        ],
      } as Condition),
      { name: "", actions: [{ type: "delete" }] },
    ]);
    expect(got.map((p) => p.path)).toEqual([
      "[0].when.all[0].field",
      "[0].when.all[1].any",
      "[0].when.all[2].op",
      "[0].when.all[3].not.value",
      "[1].name",
    ]);
  });
});
