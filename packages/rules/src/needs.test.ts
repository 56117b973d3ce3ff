import { NO_NEEDS } from "@mailhook/model";
import { describe, expect, it } from "vitest";
import type { Condition } from "./condition.js";
import { needsOf } from "./needs.js";
import type { RuleInput } from "./rule.js";
import { rules } from "./test-message.js";

/** A rule with only an IMAP action, so webhook includes do not add needs. */
const quiet = (when: Condition, extra: Partial<RuleInput> = {}): RuleInput => ({
  name: "n",
  when,
  actions: [{ type: "flag", add: ["$Seen"] }],
  ...extra,
});
const needsWhen = (...conds: Condition[]) => needsOf(rules(...conds.map((c) => quiet(c))));

describe("needsOf: conditions", () => {
  it("envelope, flags, size, dates and folder need nothing beyond what is always fetched", () => {
    const fields = [
      "from",
      "from.name",
      "to.domain",
      "cc",
      "bcc",
      "reply-to.address",
      "sender",
      "subject",
      "messageId",
      "inReplyTo",
      "folder",
      "flags",
    ];
    expect(needsWhen(...fields.map((field) => ({ field, op: "exists" }) as const))).toEqual(NO_NEEDS);
    expect(
      needsWhen({ field: "size", op: "gt", value: 1 }, { field: "date", op: "gt", value: "-1d" }),
    ).toEqual(NO_NEEDS);
    expect(needsWhen({ field: "internalDate", op: "exists" })).toEqual(NO_NEEDS);
  });
  it("text needs the body text; html needs the html part", () => {
    expect(needsWhen({ field: "text", op: "contains", value: "x" })).toEqual({ ...NO_NEEDS, text: true });
    expect(needsWhen({ field: "html", op: "contains", value: "x" })).toEqual({ ...NO_NEEDS, html: true });
  });
  it("header:<name> adds that header, lower-cased, once", () => {
    expect(
      needsWhen({
        any: [
          { field: "header:X-Foo", op: "exists" },
          { not: { field: "header:x-foo", op: "equals", value: "1" } },
          { field: "header:List-Id", op: "exists" },
        ],
      }),
    ).toEqual({ ...NO_NEEDS, headers: ["list-id", "x-foo"] });
    expect(needsWhen({ field: "references", op: "exists" })).toEqual({
      ...NO_NEEDS,
      headers: ["references"],
    });
  });
  it("attachment fields need metadata only", () => {
    for (const field of ["attachment.filename", "attachment.contentType"]) {
      expect(needsWhen({ field, op: "exists" })).toEqual({ ...NO_NEEDS, attachments: "metadata" });
    }
    expect(needsWhen({ field: "attachment.size", op: "gt", value: 1 }).attachments).toBe("metadata");
    expect(needsWhen({ field: "attachment.count", op: "gt", value: 1 }).attachments).toBe("metadata");
    expect(needsWhen({ field: "hasAttachments", op: "equals", value: true }).attachments).toBe("metadata");
  });
  it("extract fields count too", () => {
    const r = rules({
      ...quiet({ field: "subject", op: "exists" }),
      extract: { t: { field: "text", pattern: "(x)" } },
    });
    expect(needsOf(r)).toEqual({ ...NO_NEEDS, text: true });
  });
  it("disabled rules need nothing", () => {
    expect(needsOf(rules(quiet({ field: "text", op: "exists" }, { enabled: false })))).toEqual(NO_NEEDS);
  });
  it("merges across rules", () => {
    const r = rules(quiet({ field: "text", op: "exists" }), quiet({ field: "header:x-a", op: "exists" }));
    expect(needsOf(r)).toEqual({ ...NO_NEEDS, text: true, headers: ["x-a"] });
  });
});

describe("needsOf: webhook includes", () => {
  const hook = (include?: Record<string, unknown>) =>
    needsOf(
      rules({ name: "w", actions: [{ type: "webhook", endpoint: "ep", ...(include ? { include } : {}) }] }),
    );
  it("defaults: text and attachment metadata", () => {
    expect(hook()).toEqual({ ...NO_NEEDS, text: true, attachments: "metadata" });
  });
  it("each include option", () => {
    expect(hook({ text: false })).toEqual({ ...NO_NEEDS, attachments: "metadata" });
    expect(hook({ text: false, attachments: "none" })).toEqual(NO_NEEDS);
    expect(hook({ html: true }).html).toBe(true);
    expect(hook({ headers: true }).headers).toBe("all");
    expect(hook({ attachments: "content" }).attachments).toBe("content");
    expect(hook({ raw: true }).raw).toBe(true);
  });
  it("all headers win over named ones; content wins over metadata", () => {
    const r = rules(
      {
        name: "a",
        when: { field: "header:x-a", op: "exists" },
        actions: [{ type: "webhook", endpoint: "e", include: { headers: true } }],
      },
      {
        name: "b",
        when: { field: "attachment.count", op: "gt", value: 0 },
        actions: [{ type: "webhook", endpoint: "e", include: { attachments: "content" } }],
      },
    );
    expect(needsOf(r)).toEqual({
      headers: "all",
      text: true,
      html: false,
      attachments: "content",
      raw: false,
    });
  });
});
