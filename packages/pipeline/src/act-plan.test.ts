import { describe, expect, it } from "vitest";
import { planRuleActions, type RuleActionArgs } from "./act-plan.js";

const base: Omit<RuleActionArgs, "actions" | "deliveryIds"> = {
  tenantId: "default",
  mailboxId: "support",
  folder: "INBOX",
  uidValidity: 7,
  uid: 42,
  messageKey: "support~INBOX~7~42",
  ruleId: "invoices",
};
const hook = { type: "webhook" as const, endpoint: "ep", include: {} as never };

describe("planRuleActions", () => {
  it("puts actions without `after` into one job to run at once, and ignores webhooks", () => {
    const plan = planRuleActions({
      ...base,
      actions: [hook, { type: "flag", add: ["$Seen"] }, { type: "copy", to: "Archive" }],
      deliveryIds: ["msg_a"],
    });
    expect(plan.followUp).toBeNull();
    expect(plan.now?.data).toEqual({
      tenantId: "default",
      mailboxId: "support",
      folder: "INBOX",
      uidValidity: 7,
      uid: 42,
      ruleId: "invoices",
      actions: [
        { type: "flag", add: ["$Seen"] },
        { type: "copy", to: "Archive" },
      ],
      after: [],
    });
    expect(plan.now?.jobId).toMatch(/^act_[A-Za-z0-9_-]{26}$/);
  });

  it("makes `after: webhook` actions a follow-up naming every delivery of the rule", () => {
    const plan = planRuleActions({
      ...base,
      actions: [hook, hook, { type: "move", to: "Done", after: "webhook" }],
      deliveryIds: ["msg_a", "msg_b"],
    });
    expect(plan.now).toBeNull();
    expect(plan.followUp).toMatchObject({
      after: ["msg_a", "msg_b"],
      state: "waiting",
      reason: null,
      data: { actions: [{ type: "move", to: "Done" }], after: ["msg_a", "msg_b"] },
    });
  });

  it("runs flag and copy before move and delete within a job, keeping their order otherwise", () => {
    const plan = planRuleActions({
      ...base,
      actions: [
        { type: "move", to: "Done" },
        { type: "flag", remove: ["\\Seen"] },
        { type: "delete", expunge: true },
        { type: "copy", to: "Backup" },
      ],
      deliveryIds: [],
    });
    expect(plan.now?.data.actions.map((a) => a.type)).toEqual(["flag", "copy", "move", "delete"]);
  });

  it("runs `after: webhook` at once when the rule has no webhook at all", () => {
    const plan = planRuleActions({
      ...base,
      actions: [{ type: "move", to: "Done", after: "webhook" }],
      deliveryIds: [],
    });
    expect(plan.followUp).toBeNull();
    expect(plan.now?.data.actions).toEqual([{ type: "move", to: "Done" }]);
  });

  it("never runs `after: webhook` when one of the rule's webhooks could not be created", () => {
    const plan = planRuleActions({
      ...base,
      actions: [hook, { type: "move", to: "Done", after: "webhook" }, { type: "flag", add: ["x"] }],
      deliveryIds: ["msg_a"],
      webhookMissing: true,
    });
    expect(plan.followUp).toBeNull();
    expect(plan.now?.data.actions).toEqual([{ type: "flag", add: ["x"] }]);
  });

  it("derives job ids from message, rule and group only: stable across runs, distinct per group", () => {
    const args = {
      ...base,
      actions: [
        hook,
        { type: "flag" as const, add: ["a"] },
        { type: "move" as const, to: "D", after: "webhook" as const },
      ],
      deliveryIds: ["msg_a"],
    };
    const a = planRuleActions(args);
    const b = planRuleActions(args);
    expect(a.now?.jobId).toBe(b.now?.jobId);
    expect(a.followUp?.jobId).toBe(b.followUp?.jobId);
    expect(a.now?.jobId).not.toBe(a.followUp?.jobId);
    expect(planRuleActions({ ...args, uid: 43, messageKey: "support~INBOX~7~43" }).now?.jobId).not.toBe(
      a.now?.jobId,
    );
  });
});
