import type { RuleView } from "@mailhook/api-schema";
import type { DryRunResult } from "@mailhook/client";
import { describe, expect, it } from "vitest";
import { renderDryRun } from "./explain-tree.js";
import { progressLine } from "./progress.js";
import { parseRulesFile, planIsEmpty, planLines, planRules } from "./rules-plan.js";

const yaml = `
rules:
  - id: invoices
    name: Invoices
    when: { field: subject, op: contains, value: invoice }
    actions: [{ type: webhook, endpoint: ep_1 }]
  - name: Receipts
    actions: [{ type: webhook, endpoint: ep_1 }]
`;

const view = (r: Record<string, unknown>, managed: "api" | "file" = "api"): RuleView =>
  ({ ...r, managed, etag: `e-${String(r.id)}` }) as RuleView;

describe("rules apply plan", () => {
  const desired = parseRulesFile(yaml, "rules.yaml");

  it("reads a list or a mailhook.yaml document, giving unnamed rules their stable ids", () => {
    expect(desired.map((r) => r.id)).toEqual(["invoices", "receipts"]);
    expect(parseRulesFile("- name: A\n  actions: [{ type: webhook, endpoint: e }]\n", "f")[0]?.id).toBe("a");
  });

  it("names every problem with its path", () => {
    expect(() =>
      parseRulesFile("- name: A\n  when: { field: nope, op: contains, value: x }\n  actions: []\n", "r.yaml"),
    ).toThrow(/r\.yaml: [\s\S]*rules\[0\]\.when\.field/);
  });

  it("creates what is new, changes what differs, and leaves equal rules alone (defaults included)", () => {
    const current = [
      // Same as the file once defaults are filled in: enabled, priority, stop … are not spelled out.
      view({ ...desired[0], id: "invoices" }),
      view({ id: "receipts", name: "Receipts", actions: [{ type: "webhook", endpoint: "ep_2" }] }),
      view({ id: "old", name: "Old", actions: [{ type: "webhook", endpoint: "ep_1" }] }),
    ];
    const plan = planRules(desired, current, false);
    expect(plan.unchanged).toEqual(["invoices"]);
    expect(plan.update).toMatchObject([{ id: "receipts", keys: ["actions"], etag: "e-receipts" }]);
    expect(plan.remove).toEqual([]);
    expect(planRules(desired, current, true).remove).toEqual([{ id: "old", etag: "e-old" }]);
    expect(planLines(plan)).toEqual(["~ receipts  change actions", "= invoices  unchanged"]);
  });

  it("is empty when the API already holds the file's rules: applying twice changes nothing", () => {
    const plan = planRules(
      desired,
      desired.map((r) => view(r)),
      true,
    );
    expect(planIsEmpty(plan)).toBe(true);
    expect(planRules(desired, [], false).create.map((r) => r.id)).toEqual(["invoices", "receipts"]);
  });

  it("refuses to change rules that mailhook.yaml manages, and never prunes them", () => {
    const current = [
      view({ id: "invoices", name: "Other", actions: [{ type: "webhook", endpoint: "x" }] }, "file"),
    ];
    const plan = planRules(desired, [...current, view({ id: "cfg", name: "C", actions: [] }, "file")], true);
    expect(plan.fileManaged).toEqual(["invoices"]);
    expect(plan.remove).toEqual([]);
  });
});

describe("the explanation tree", () => {
  it("shows each condition with ✓/✗ and what it saw, and the extracted values", () => {
    const result: DryRunResult = {
      messages: [
        {
          message: {
            uid: 7,
            subject: "Invoice #42",
            from: [{ name: "", address: "a@vendor.test" }],
            messageId: null,
            attachments: 0,
            text: null,
            textTruncated: false,
            parsedFrom: "source",
          },
          results: [
            {
              rule: { id: "inv", name: "Invoices", priority: 100 },
              matched: false,
              conditionsMatched: false,
              skipped: null,
              extracted: { no: "42" },
              webhooks: [],
              condition: {
                kind: "all",
                result: false,
                children: [
                  {
                    kind: "leaf",
                    result: true,
                    field: "subject",
                    op: "contains",
                    value: "invoice",
                    seen: ["Invoice #42"],
                    seenCount: 1,
                  },
                  {
                    kind: "not",
                    result: false,
                    child: {
                      kind: "leaf",
                      result: true,
                      field: "from.domain",
                      op: "equals",
                      value: "vendor.test",
                      seen: ["vendor.test"],
                      seenCount: 3,
                    },
                  },
                ],
              },
            },
          ],
        },
      ],
    };
    expect(renderDryRun(result)).toBe(
      [
        'UID 7: "Invoice #42" from a@vendor.test',
        "  ✗ rule inv (Invoices) did not match",
        "      ✗ all",
        '        ✓ subject contains "invoice"  — saw "Invoice #42"',
        "        ✗ not",
        '          ✓ from.domain equals "vendor.test"  — saw "vendor.test" (+2 more)',
        '      extracted no = "42"',
        "",
      ].join("\n"),
    );
  });
});

describe("progressLine", () => {
  it("fills with processed + failed of the total SEARCH found", () => {
    expect(progressLine({ total: 4, processed: 1, failed: 1 }, 8)).toBe(
      "[####----]  50%  1/4 processed, 1 failed",
    );
    expect(progressLine({ total: 0, processed: 0, failed: 0 }, 4)).toBe(
      "[####] 100%  0/0 processed, 0 failed",
    );
  });
});
