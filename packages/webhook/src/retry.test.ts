import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY_SCHEDULE_MS, MAX_RETRY_AFTER_MS, parseRetryAfter, retryDelay } from "./retry.js";

const HOUR = 60 * 60_000;

describe("DEFAULT_RETRY_SCHEDULE_MS", () => {
  it("is 5s, 30s, 2m, 10m, 30m, 1h, 3h, 6h, 12h: about a day in total", () => {
    expect(DEFAULT_RETRY_SCHEDULE_MS).toEqual([
      5e3,
      30e3,
      120e3,
      600e3,
      1800e3,
      HOUR,
      3 * HOUR,
      6 * HOUR,
      12 * HOUR,
    ]);
    const total = DEFAULT_RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0);
    expect(total / HOUR).toBeGreaterThan(22);
    expect(total / HOUR).toBeLessThan(24);
  });
});

describe("retryDelay", () => {
  const mid = () => 0.5;
  it("follows the schedule: attemptsMade 1 → first entry, past the end → null", () => {
    DEFAULT_RETRY_SCHEDULE_MS.forEach((ms, i) => {
      expect(retryDelay(i + 1, DEFAULT_RETRY_SCHEDULE_MS, null, mid)).toBe(ms);
    });
    expect(retryDelay(DEFAULT_RETRY_SCHEDULE_MS.length + 1, DEFAULT_RETRY_SCHEDULE_MS, null, mid)).toBeNull();
    expect(retryDelay(1, [], null, mid)).toBeNull();
    expect(retryDelay(3, [100, 200, 300], null, mid)).toBe(300);
  });

  it("jitters within ±20%, reaching both bounds", () => {
    expect(retryDelay(1, [10_000], null, () => 0)).toBe(8_000);
    expect(retryDelay(1, [10_000], null, () => 0.999_999)).toBe(12_000);
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const d = retryDelay(2, DEFAULT_RETRY_SCHEDULE_MS, null)!;
      expect(d).toBeGreaterThanOrEqual(24_000);
      expect(d).toBeLessThanOrEqual(36_000);
      seen.add(d);
    }
    expect(seen.size).toBeGreaterThan(100);
  });

  it("waits at least Retry-After, never less than the schedule", () => {
    expect(retryDelay(1, DEFAULT_RETRY_SCHEDULE_MS, 60_000, mid)).toBe(60_000);
    expect(retryDelay(1, DEFAULT_RETRY_SCHEDULE_MS, 2_000, () => 0)).toBe(4_000);
    expect(retryDelay(1, DEFAULT_RETRY_SCHEDULE_MS, 0, mid)).toBe(5_000);
  });

  it("caps Retry-After at 24 hours and never extends the schedule", () => {
    expect(retryDelay(1, DEFAULT_RETRY_SCHEDULE_MS, 7 * 24 * HOUR, mid)).toBe(MAX_RETRY_AFTER_MS);
    expect(MAX_RETRY_AFTER_MS).toBe(24 * HOUR);
    expect(retryDelay(10, DEFAULT_RETRY_SCHEDULE_MS, 1_000, mid)).toBeNull();
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-11-26T01:00:00Z");
  it("reads delay-seconds", () => {
    expect(parseRetryAfter("2", now)).toBe(2_000);
    expect(parseRetryAfter(" 120 ", now)).toBe(120_000);
    expect(parseRetryAfter("0", now)).toBe(0);
  });
  it("reads an HTTP-date relative to now, 0 when past", () => {
    expect(parseRetryAfter("Thu, 26 Nov 2026 01:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Wed, 25 Nov 2026 01:00:00 GMT", now)).toBe(0);
  });
  it("ignores absent and malformed values", () => {
    expect(parseRetryAfter(undefined, now)).toBeNull();
    expect(parseRetryAfter("", now)).toBeNull();
    expect(parseRetryAfter("-5", now)).toBeNull();
    expect(parseRetryAfter("1.5", now)).toBeNull();
    expect(parseRetryAfter("soon", now)).toBeNull();
  });
});
