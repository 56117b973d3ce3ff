import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff.js";

describe("backoffDelay", () => {
  it("doubles per attempt within [d/2, d] and never exceeds the cap", () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      const d = Math.min(60_000, 1_000 * 2 ** attempt);
      expect(backoffDelay(attempt, 1_000, 60_000, () => 0)).toBe(d / 2);
      expect(backoffDelay(attempt, 1_000, 60_000, () => 1)).toBe(d);
      const mid = backoffDelay(attempt, 1_000, 60_000, () => 0.5);
      expect(mid).toBeGreaterThanOrEqual(d / 2);
      expect(mid).toBeLessThanOrEqual(60_000);
    }
  });

  it("spreads replicas apart: different random draws give different delays", () => {
    const seen = new Set([0.1, 0.3, 0.6, 0.9].map((r) => backoffDelay(3, 1_000, 60_000, () => r)));
    expect(seen.size).toBe(4);
  });
});
