import { type Condition, validateRules } from "@mailhook/rules";
import { describe, expect, it } from "vitest";
import {
  addChild,
  newLeaf,
  nodeAt,
  removeAt,
  replaceAt,
  setKind,
  valueFromText,
  valueText,
  whenPath,
} from "./condition-model.js";
import { ruleFromYaml, ruleToYaml } from "./rule-yaml.js";
import { perMinute } from "./stats.js";

const tree: Condition = {
  all: [
    { field: "subject", op: "contains", value: "invoice" },
    { not: { field: "from.domain", op: "in", value: ["spam.test"] } },
  ],
};

describe("condition-model", () => {
  it("edits by path without touching the rest", () => {
    const next = replaceAt(tree, [1, 0], { field: "from.domain", op: "equals", value: "x.test" });
    expect(nodeAt(next, [1, 0])).toEqual({ field: "from.domain", op: "equals", value: "x.test" });
    expect(nodeAt(next, [0])).toBe(nodeAt(tree, [0]));
    expect(nodeAt(tree, [1, 0])).toEqual({ field: "from.domain", op: "in", value: ["spam.test"] });
  });

  it("adds, removes and changes kinds; a group never ends up empty", () => {
    const added = addChild(tree, []);
    expect((added as { all: Condition[] }).all).toHaveLength(3);
    const one = removeAt(removeAt(tree, [1]), [0]);
    expect(one).toEqual({ all: [newLeaf()] });
    expect(setKind(tree, [], "any")).toEqual({ any: (tree as { all: Condition[] }).all });
    expect(setKind(tree, [0], "not")).toMatchObject({ all: [{ not: { field: "subject" } }, {}] });
    expect(removeAt(tree, [1, 0])).toMatchObject({ all: [{}, { not: newLeaf() }] });
  });

  it("types values for the op and shows them back", () => {
    expect(valueFromText("in", "a.test, b.test,")).toEqual(["a.test", "b.test"]);
    expect(valueFromText("gt", "1024")).toBe(1024);
    expect(valueFromText("exists", "false")).toBe(false);
    expect(valueText({ field: "to", op: "in", value: ["a", "b"] })).toBe("a, b");
  });

  it("names nodes the way validateRules names its problems", () => {
    const bad: Condition = { all: [{ field: "subject", op: "matches", value: "(" }] };
    const r = validateRules([{ name: "x", when: bad, actions: [{ type: "flag", add: ["\\Seen"] }] }]);
    expect(r.ok).toBe(false);
    const path = whenPath([0], bad);
    expect(path).toBe(".when.all[0]");
    if (!r.ok) expect(r.problems.some((p) => p.path.startsWith(`[0]${path}`))).toBe(true);
  });
});

describe("rule YAML view", () => {
  it("round-trips exactly, in mailhook.yaml's rules: syntax", () => {
    const rule = {
      actions: [{ type: "webhook", endpoint: "tickets" }],
      when: tree,
      name: "Inv",
      id: "inv",
      managed: "api",
      etag: "e",
    };
    const text = ruleToYaml(rule);
    expect(text.startsWith("- id: inv\n  name: Inv\n  when:\n    all:\n")).toBe(true);
    const back = ruleFromYaml(text);
    expect(back).toEqual({ ok: true, rule: { id: "inv", name: "Inv", when: tree, actions: rule.actions } });
    if (back.ok) expect(ruleToYaml(back.rule)).toBe(text);
    expect(ruleFromYaml("- a: [").ok).toBe(false);
  });
});

describe("perMinute", () => {
  it("buckets the last hour and takes each minute's median end-to-end latency of the delivered", () => {
    const now = Date.parse("2026-12-01T12:00:30Z");
    const at = (iso: string, ms: number, status = "delivered") => ({
      createdAt: iso,
      status,
      endToEndMs: status === "delivered" ? ms : null,
    });
    const b = perMinute(
      [
        at("2026-12-01T12:00:01Z", 10),
        at("2026-12-01T12:00:02Z", 30),
        at("2026-12-01T12:00:03Z", 20),
        at("2026-12-01T11:59:00Z", 5, "dead"),
        // Delivered before end-to-end latency was kept: counted, not in the median.
        { createdAt: "2026-12-01T11:59:10Z", status: "delivered", endToEndMs: null },
        at("2026-12-01T10:00:00Z", 1),
      ],
      now,
    );
    expect(b).toHaveLength(60);
    expect(b[59]).toEqual({ at: Date.parse("2026-12-01T12:00:00Z"), count: 3, delivered: 3, medianMs: 20 });
    expect(b[58]).toMatchObject({ count: 2, delivered: 0, medianMs: null });
    expect(b.reduce((n, x) => n + x.count, 0)).toBe(5);
  });
});
