import { describe, expect, it } from "vitest";
import { checkIfMatch, parseIfMatch } from "./rules.js";

describe("If-Match", () => {
  it("accepts quoted, weak and bare ETags, and *", () => {
    expect(parseIfMatch('"abc"')).toBe("abc");
    expect(parseIfMatch('W/"abc"')).toBe("abc");
    expect(parseIfMatch(" abc ")).toBe("abc");
    expect(parseIfMatch("*")).toBe("*");
    expect(parseIfMatch(undefined)).toBeNull();
  });

  it("a matching ETag or * passes; another answers 412; none answers 428 only where required", () => {
    expect(() => checkIfMatch('"e1"', "e1", true)).not.toThrow();
    expect(() => checkIfMatch("*", "e1", true)).not.toThrow();
    expect(() => checkIfMatch('"e0"', "e1", false)).toThrowError(
      expect.objectContaining({ status: 412, code: "PRECONDITION_FAILED" }),
    );
    expect(() => checkIfMatch(undefined, "e1", true)).toThrowError(
      expect.objectContaining({ status: 428, code: "PRECONDITION_REQUIRED" }),
    );
    expect(() => checkIfMatch(undefined, "e1", false)).not.toThrow();
  });
});
