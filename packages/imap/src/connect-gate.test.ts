import { describe, expect, it } from "vitest";
import { createConnectGate } from "./connect-gate.js";

describe("createConnectGate", () => {
  it("grants at most `limit` slots, then in arrival order as slots are released", async () => {
    const gate = createConnectGate(2);
    const order: number[] = [];
    const tickets = [0, 1, 2, 3].map((i) => ({ i, t: gate.enter() }));
    const releases = new Map<number, () => void>();
    for (const { i, t } of tickets)
      void t.ready.then((r) => {
        if (r) {
          order.push(i);
          releases.set(i, r);
        }
      });
    await Promise.resolve();
    expect(order).toEqual([0, 1]);
    expect(gate.inUse).toBe(2);
    expect(gate.waiting).toBe(2);
    releases.get(1)?.();
    releases.get(1)?.(); // a second release of the same slot frees nothing more
    await Promise.resolve();
    expect(order).toEqual([0, 1, 2]);
    expect(gate.inUse).toBe(2);
    releases.get(0)?.();
    await Promise.resolve();
    expect(order).toEqual([0, 1, 2, 3]);
    releases.get(2)?.();
    releases.get(3)?.();
    expect(gate.inUse).toBe(0);
  });

  it("a cancelled ticket leaves the queue and resolves null; the next one gets the slot", async () => {
    const gate = createConnectGate(1);
    const first = await gate.enter().ready;
    const cancelled = gate.enter();
    const next = gate.enter();
    cancelled.cancel();
    expect(await cancelled.ready).toBeNull();
    expect(gate.waiting).toBe(1);
    first?.();
    const r = await next.ready;
    expect(r).not.toBeNull();
    expect(gate.inUse).toBe(1);
    r?.();
    expect(gate.inUse).toBe(0);
  });

  it("refuses a limit below 1", () => {
    expect(() => createConnectGate(0)).toThrow(/≥ 1/);
  });
});
