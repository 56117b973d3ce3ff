import { describe, expect, it } from "vitest";
import { type AttemptClass, classifyAttempt, type DeliveryAttempt } from "./attempt.js";

const attempt = (status: number | null, error: string | null = null): DeliveryAttempt => ({
  at: "2026-11-26T01:00:00.000Z",
  status,
  latencyMs: 12,
  error,
  responsePreview: "",
  retryAfterMs: null,
});

describe("classifyAttempt", () => {
  it.each<[number | null, AttemptClass]>([
    [200, "delivered"],
    [201, "delivered"],
    [202, "delivered"],
    [204, "delivered"],
    [299, "delivered"],
    [410, "gone"],
    [null, "retry"],
    [408, "retry"],
    [425, "retry"],
    [429, "retry"],
    [500, "retry"],
    [502, "retry"],
    [503, "retry"],
    [504, "retry"],
    [599, "retry"],
    [301, "failed"],
    [302, "failed"],
    [307, "failed"],
    [308, "failed"],
    [304, "failed"],
    [400, "failed"],
    [401, "failed"],
    [403, "failed"],
    [404, "failed"],
    [413, "failed"],
    [422, "failed"],
    [100, "failed"],
  ])("status %s → %s", (status, expected) => {
    expect(classifyAttempt(attempt(status))).toBe(expected);
  });

  it("retries network errors and timeouts (no status)", () => {
    expect(classifyAttempt(attempt(null, "ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1"))).toBe("retry");
    expect(classifyAttempt(attempt(null, "total timeout after 100 ms waiting for the response"))).toBe(
      "retry",
    );
  });

  it("retries client errors when the endpoint opts in, but still treats 410 as gone", () => {
    const opts = { retryClientErrors: true };
    expect(classifyAttempt(attempt(404), opts)).toBe("retry");
    expect(classifyAttempt(attempt(401), opts)).toBe("retry");
    expect(classifyAttempt(attempt(410), opts)).toBe("gone");
    expect(classifyAttempt(attempt(302), opts)).toBe("failed");
    expect(classifyAttempt(attempt(200), opts)).toBe("delivered");
  });
});
