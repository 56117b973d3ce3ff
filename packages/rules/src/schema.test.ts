import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Action } from "./action.js";
import { Condition } from "./condition.js";
import { MAX_IN_VALUES } from "./leaf.js";
import { Rule, RuleInput } from "./rule.js";
import { validateRules } from "./validate.js";

describe("schemas", () => {
  it("Condition parses nested trees and refuses empty or mixed groups", () => {
    const tree = {
      all: [{ field: "subject", op: "exists" }, { not: { any: [{ field: "size", op: "gt", value: 1 }] } }],
    };
    expect(Condition.parse(tree)).toEqual(tree);
    expect(Condition.safeParse({ all: [] }).success).toBe(false);
    expect(Condition.safeParse({ all: [{ field: "subject", op: "exists" }], any: [] }).success).toBe(false);
    expect(Condition.safeParse({ field: "subject", op: "near" }).success).toBe(false);
  });
  it("Action applies webhook include defaults and refuses unknown types", () => {
    expect(Action.parse({ type: "webhook", endpoint: "ep" })).toEqual({
      type: "webhook",
      endpoint: "ep",
      include: { text: true, html: false, headers: false, attachments: "metadata", raw: false },
    });
    expect(Action.parse({ type: "webhook", endpoint: "ep", include: { text: false } })).toMatchObject({
      include: { text: false, attachments: "metadata" },
    });
    expect(Action.safeParse({ type: "forward", to: "x" }).success).toBe(false);
  });
  it("converts to JSON Schema (for the OpenAPI document), recursion included", () => {
    const input = z.toJSONSchema(RuleInput, { io: "input" }) as { properties: Record<string, unknown> };
    expect(Object.keys(input.properties)).toEqual(
      expect.arrayContaining(["id", "name", "when", "extract", "actions", "priority", "stop"]),
    );
    expect(JSON.stringify(input)).toContain('"$ref"');
    const output = z.toJSONSchema(Rule, { io: "output" }) as { required: string[] };
    expect(output.required).toEqual(
      expect.arrayContaining(["id", "name", "enabled", "priority", "stop", "actions"]),
    );
  });
});

describe("validateRules: odd input", () => {
  it("reports non-object rules and a non-list without throwing", () => {
    const r = validateRules([null, "rule", 3]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.path)).toEqual(["[0]", "[1]", "[2]"]);
    expect(validateRules("nope" as unknown as unknown[])).toEqual({
      ok: false,
      problems: [{ path: "", reason: "rules must be a list" }],
    });
  });
  it("caps in lists", () => {
    const value = Array.from({ length: MAX_IN_VALUES + 1 }, (_, i) => `v${i}`);
    const r = validateRules([
      { name: "x", when: { field: "subject", op: "in", value }, actions: [{ type: "delete" }] },
    ]);
    expect(r.ok ? [] : r.problems).toEqual([
      { path: "[0].when.value", reason: expect.stringContaining("at most 1000") },
    ]);
  });
  it("an empty list is valid", () => {
    expect(validateRules([])).toEqual({ ok: true, rules: [] });
  });
});
