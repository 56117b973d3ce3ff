import { describe, expect, it } from "vitest";
import { uidSet } from "./fetch-messages.js";

describe("uidSet", () => {
  it("compresses sorted, deduplicated UIDs into IMAP ranges", () => {
    expect(uidSet([9, 1, 2, 3, 7, 10, 2])).toBe("1:3,7,9:10");
    expect(uidSet([5])).toBe("5");
  });

  it("drops what is not a UID, so an empty input never becomes '*'", () => {
    expect(uidSet([])).toBe("");
    expect(uidSet([0, -1, 1.5, Number.NaN])).toBe("");
    expect(uidSet([0, 4])).toBe("4");
  });
});
