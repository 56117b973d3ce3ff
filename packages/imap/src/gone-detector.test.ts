import type { Member } from "@mailhook/store";
import { describe, expect, it } from "vitest";
import { createGoneDetector } from "./gone-detector.js";

const member = (id: string, at: number, extra: Partial<Member> = {}): Member => ({
  id,
  capacity: 0,
  at,
  presence: true,
  ...extra,
});
const counts = (o: Record<string, number>) => new Map(Object.entries(o));

describe("gone detector", () => {
  it("judges a member dead after confirmMs without subscriber and without heartbeat", () => {
    const d = createGoneDetector("a", 1_000, 0);
    const members = [member("a", 5), member("b", 7)];
    expect(d.observe(0, members, counts({ a: 1, b: 0 }))).toEqual([]);
    expect(d.observe(999, members, counts({ a: 1, b: 0 }))).toEqual([]);
    expect(d.observe(1_000, members, counts({ a: 1, b: 0 }))).toEqual([{ id: "b", at: 7 }]);
  });

  it("clears a suspicion when the subscriber is back", () => {
    const d = createGoneDetector("a", 1_000, 0);
    const members = [member("a", 5), member("b", 7)];
    d.observe(0, members, counts({ a: 1, b: 0 }));
    d.observe(500, members, counts({ a: 1, b: 1 }));
    expect(d.observe(1_200, members, counts({ a: 1, b: 0 }))).toEqual([]);
    expect(d.observe(2_200, members, counts({ a: 1, b: 0 }))).toEqual([{ id: "b", at: 7 }]);
  });

  it("never judges a member whose heartbeat moved: alive without its subscriber connection", () => {
    const d = createGoneDetector("a", 1_000, 0);
    d.observe(0, [member("a", 5), member("b", 7)], counts({ a: 1, b: 0 }));
    expect(d.observe(1_500, [member("a", 5), member("b", 9)], counts({ a: 1, b: 0 }))).toEqual([]);
    expect(d.observe(2_000, [member("a", 5), member("b", 9)], counts({ a: 1, b: 0 }))).toEqual([]);
    expect(d.observe(2_500, [member("a", 5), member("b", 9)], counts({ a: 1, b: 0 }))).toEqual([
      { id: "b", at: 9 },
    ]);
  });

  it("judges nothing while its own subscription is not visible, nor for settleMs after it is back", () => {
    const d = createGoneDetector("a", 1_000, 2_000);
    const members = [member("a", 5), member("b", 7)];
    expect(d.observe(0, members, counts({ a: 1, b: 0 }))).toEqual([]);
    expect(d.observe(1_999, members, counts({ a: 1, b: 0 }))).toEqual([]);
    expect(d.observe(2_000, members, counts({ a: 0, b: 0 }))).toEqual([]);
    expect(d.observe(2_500, members, counts({ a: 1, b: 0 }))).toEqual([]);
    expect(d.observe(4_400, members, counts({ a: 1, b: 0 }))).toEqual([]);
    expect(d.observe(4_500, members, counts({ a: 1, b: 0 }))).toEqual([]);
    expect(d.observe(5_500, members, counts({ a: 1, b: 0 }))).toEqual([{ id: "b", at: 7 }]);
  });

  it("leaves members without presence and parked members to their TTL", () => {
    const d = createGoneDetector("a", 1_000, 0);
    const members = [
      member("a", 5),
      member("old", 7, { presence: undefined }),
      member("p", 8, { parked: true }),
    ];
    d.observe(0, members, counts({ a: 1 }));
    expect(d.observe(5_000, members, counts({ a: 1 }))).toEqual([]);
  });

  it("forgets suspects that left the membership", () => {
    const d = createGoneDetector("a", 1_000, 0);
    d.observe(0, [member("a", 5), member("b", 7)], counts({ a: 1, b: 0 }));
    d.observe(500, [member("a", 5)], counts({ a: 1 }));
    expect(d.observe(1_000, [member("a", 5), member("b", 7)], counts({ a: 1, b: 0 }))).toEqual([]);
  });
});
