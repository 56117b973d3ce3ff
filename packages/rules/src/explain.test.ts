import { describe, expect, it } from "vitest";
import { EXPLAIN_MAX_VALUES, EXPLAIN_VALUE_CHARS, explainRules } from "./explain.js";
import { message, rules, ruleWhen } from "./test-message.js";

describe("explainRules", () => {
  it("mirrors the condition tree with each result and the values seen, without short-circuit", () => {
    const [e] = explainRules(
      rules(
        ruleWhen({
          all: [
            { field: "from.domain", op: "equals", value: "other.com" },
            {
              any: [
                { field: "subject", op: "contains", value: "invoice" },
                { not: { field: "header:x-spam", op: "exists" } },
              ],
            },
          ],
        }),
      ),
      message(),
    );
    expect(e?.matched).toBe(false);
    expect(e?.conditionsMatched).toBe(false);
    expect(e?.skipped).toBeNull();
    expect(e?.condition).toEqual({
      kind: "all",
      result: false,
      children: [
        {
          kind: "leaf",
          result: false,
          field: "from.domain",
          op: "equals",
          value: "other.com",
          seen: ["vendor.com"],
          seenCount: 1,
        },
        {
          kind: "any",
          result: true,
          children: [
            {
              kind: "leaf",
              result: true,
              field: "subject",
              op: "contains",
              value: "invoice",
              seen: ["Invoice #1234 for April"],
              seenCount: 1,
            },
            {
              kind: "not",
              result: true,
              child: {
                kind: "leaf",
                result: false,
                field: "header:x-spam",
                op: "exists",
                seen: [],
                seenCount: 0,
              },
            },
          ],
        },
      ],
    });
  });

  it("cuts long values and long value lists", () => {
    const to = Array.from({ length: 30 }, (_, i) => ({ name: "", address: `u${i}@x.com` }));
    const [e] = explainRules(
      rules(
        ruleWhen({
          all: [
            { field: "text", op: "exists" },
            { field: "to", op: "exists" },
          ],
        }),
      ),
      message({ text: "x".repeat(5000), to }),
    );
    if (e?.condition?.kind !== "all") throw new Error("expected all");
    const [text, toLeaf] = e.condition.children;
    if (text?.kind !== "leaf" || toLeaf?.kind !== "leaf") throw new Error("expected leaves");
    expect(text.seen[0]).toHaveLength(EXPLAIN_VALUE_CHARS + 1);
    expect(text.seen[0]?.endsWith("…")).toBe(true);
    expect(toLeaf.seen).toHaveLength(EXPLAIN_MAX_VALUES);
    expect(toLeaf.seenCount).toBe(30);
  });

  it("shows dates as ISO strings", () => {
    const [e] = explainRules(rules(ruleWhen({ field: "date", op: "gt", value: "2024-01-01" })), message());
    expect(e?.condition).toMatchObject({ result: true, seen: ["2024-05-01T10:00:00.000Z"] });
  });

  it("reports rules in evaluation order, with why a matching rule would not fire, and extracts", () => {
    const any = { field: "subject", op: "exists" } as const;
    const got = explainRules(
      rules(
        ruleWhen(any, { id: "late", priority: 90 }),
        ruleWhen(any, { id: "off", enabled: false }),
        ruleWhen(any, { id: "other-mbx", mailboxes: ["mbx_9"] }),
        ruleWhen(any, { id: "other-folder", folders: ["Sent"] }),
        ruleWhen(any, {
          id: "stopper",
          priority: 1,
          stop: true,
          extract: { n: { field: "subject", pattern: "#(\\d+)" } },
        }),
        { name: "no when", id: "bare", priority: 0, actions: [{ type: "delete" }] },
      ),
      message(),
    );
    expect(got.map((e) => [e.rule.id, e.matched, e.skipped])).toEqual([
      ["bare", true, null],
      ["stopper", true, null],
      ["late", false, { stoppedBy: "stopper" }],
      ["off", false, "disabled"],
      ["other-folder", false, "folder"],
      ["other-mbx", false, "mailbox"],
    ]);
    expect(got[0]?.condition).toBeNull();
    expect(got[1]?.extracted).toEqual({ n: "1234" });
    expect(got[2]?.conditionsMatched).toBe(true);
    expect(got[2]?.extracted).toEqual({});
  });
});
