import { describe, expect, it } from "vitest";
import { budgetDeferDelay, SessionBudgetFull, sessionLimit } from "./session-limit.js";

describe("sessionLimit", () => {
  it("is the operator's budget when the mailbox names none", () => {
    expect(sessionLimit(4)).toBe(4);
    expect(sessionLimit(4, undefined)).toBe(4);
  });
  it("lets a mailbox lower its budget but never raise it", () => {
    expect(sessionLimit(4, 2)).toBe(2);
    expect(sessionLimit(4, 9)).toBe(4);
  });
  it("never goes below one session", () => {
    expect(sessionLimit(4, 0)).toBe(1);
    expect(sessionLimit(0)).toBe(1);
    expect(sessionLimit(4, Number.NaN)).toBe(4);
    expect(sessionLimit(3, 2.7)).toBe(2);
  });
});

describe("budgetDeferDelay", () => {
  it("doubles per deferral from 250 ms up to 5 s", () => {
    const top = () => 1 - Number.EPSILON;
    expect([0, 1, 2, 3, 4, 5, 6, 50].map((n) => budgetDeferDelay(n, top))).toEqual([
      250, 500, 1000, 2000, 4000, 5000, 5000, 5000,
    ]);
  });
  it("jitters between half and all of the step", () => {
    expect(budgetDeferDelay(2, () => 0)).toBe(500);
    expect(budgetDeferDelay(2, () => 0.5)).toBe(750);
    expect(budgetDeferDelay(-3, () => 0)).toBe(125);
  });
});

describe("SessionBudgetFull", () => {
  it("is retryable and names the holders without secrets", () => {
    const e = new SessionBudgetFull("mbx1", ["worker-a"]);
    expect(e.retryable).toBe(true);
    expect(e.code).toBe("IMAP_SESSION_BUDGET_FULL");
    expect(e.message).toContain("mbx1");
    expect(e.holders).toEqual(["worker-a"]);
  });
});
