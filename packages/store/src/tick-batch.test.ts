import { describe, expect, it } from "vitest";
import { tickBatcher } from "./tick-batch.js";

describe("tickBatcher", () => {
  it("flushes the calls of one turn together, per group, and later calls in a new batch", async () => {
    const flushes: [string, number[]][] = [];
    const add = tickBatcher(async (group: string, items: number[]) => {
      flushes.push([group, items]);
      return items.length;
    });
    const first = await Promise.all([add("a", 1), add("a", 2), add("b", 3), add("a", 4)]);
    expect(first).toEqual([3, 3, 1, 3]);
    expect(await add("a", 5)).toBe(1);
    expect(flushes).toEqual([
      ["a", [1, 2, 4]],
      ["b", [3]],
      ["a", [5]],
    ]);
  });

  it("rejects every caller of a failed flush, and only those", async () => {
    let fail = true;
    const add = tickBatcher(async (_g: string, items: string[]) => {
      if (fail) throw new Error("redis away");
      return items;
    });
    const failed = await Promise.allSettled([add("g", "x"), add("g", "y")]);
    expect(failed.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    fail = false;
    expect(await add("g", "z")).toEqual(["z"]);
  });
});
