import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromRanges, toRanges } from "./backfills.js";

describe("UID ranges", () => {
  it("packs runs and unpacks to the sorted distinct UIDs", () => {
    expect(toRanges([7, 1, 2, 3, 3, 9, 8])).toEqual([
      [1, 3],
      [7, 9],
    ]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5000 }), { maxLength: 300 }), (uids) => {
        expect(fromRanges(toRanges(uids))).toEqual([...new Set(uids)].sort((a, b) => a - b));
      }),
    );
  });
});
