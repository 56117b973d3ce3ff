import { describe, expect, it } from "vitest";
import { assignMailboxes, planOwnership, rankMembers, type ShareMember, shareBounds } from "./fair-share.js";

const refs = (n: number) => Array.from({ length: n }, (_, i) => `t${i % 7}/mbx_${i}`);
const members = (n: number, capacity = 0): ShareMember[] =>
  Array.from({ length: n }, (_, i) => ({ id: `watcher-${i}`, capacity }));
const counts = (a: Map<string, string>) => {
  const c = new Map<string, number>();
  for (const v of a.values()) c.set(v, (c.get(v) ?? 0) + 1);
  return c;
};
const spread = (a: Map<string, string>, n: number) => {
  const c = [...counts(a).values()];
  return c.length < n ? Number.POSITIVE_INFINITY : Math.max(...c) / Math.min(...c);
};
const moved = (a: Map<string, string>, b: Map<string, string>) => {
  let n = 0;
  for (const [ref, owner] of a) if (b.get(ref) !== owner) n++;
  return n;
};

describe("assignMailboxes", () => {
  it("gives every mailbox exactly one owner, within 1.2 of an even share", () => {
    for (const n of [30, 300, 3000]) {
      for (const k of [2, 3, 5]) {
        const a = assignMailboxes(refs(n), members(k));
        expect(a.size).toBe(n);
        expect(spread(a, k)).toBeLessThanOrEqual(1.2);
      }
    }
  });

  it("is the same whatever order the inputs come in (every replica computes it alone)", () => {
    const r = refs(500);
    const m = members(3);
    const a = assignMailboxes(r, m);
    const b = assignMailboxes([...r].reverse(), [...m].reverse());
    expect([...b.entries()].sort()).toEqual([...a.entries()].sort());
  });

  it("moves about 1/N of the mailboxes when a member joins or leaves, and only to or from it", () => {
    const r = refs(3000);
    const three = assignMailboxes(r, members(3));
    const four = assignMailboxes(r, members(4));
    // Ideal: 1/4 move, all to the new member. Bounded loads add a little spill between the others.
    expect(moved(three, four) / r.length).toBeLessThan(0.3);
    const toNew = [...four].filter(([ref, o]) => o === "watcher-3" && three.get(ref) !== o).length;
    expect(toNew / moved(three, four)).toBeGreaterThan(0.85);
    const two = assignMailboxes(r, members(3).slice(0, 2));
    // Leaving: the leaver's third moves; the survivors keep nearly all of their own.
    const kept = [...three].filter(([ref, o]) => o !== "watcher-2" && two.get(ref) === o).length;
    const survivorsHad = [...three.values()].filter((o) => o !== "watcher-2").length;
    expect(kept / survivorsHad).toBeGreaterThan(0.95);
  });

  it("respects capacity: a small member takes its cap, the rest share the remainder", () => {
    const m: ShareMember[] = [
      { id: "small", capacity: 50 },
      { id: "a", capacity: 0 },
      { id: "b", capacity: 0 },
    ];
    const a = assignMailboxes(refs(900), m);
    const c = counts(a);
    expect(a.size).toBe(900);
    expect(c.get("small")).toBeLessThanOrEqual(50);
    expect(
      Math.max(c.get("a") ?? 0, c.get("b") ?? 0) / Math.min(c.get("a") ?? 0, c.get("b") ?? 0),
    ).toBeLessThan(1.2);
  });

  it("leaves mailboxes unowned only when every member is full", () => {
    const a = assignMailboxes(refs(100), members(2, 30));
    expect(a.size).toBe(60);
    expect([...counts(a).values()]).toEqual([30, 30]);
    expect(assignMailboxes(refs(10), [])).toEqual(new Map());
  });

  it("prefers the highest-ranked member (plain rendezvous when there is room)", () => {
    const m = members(4);
    const a = assignMailboxes(refs(20), m, { slack: 10 });
    for (const [ref, owner] of a) expect(owner).toBe(rankMembers(ref, m)[0]?.id);
  });
});

describe("shareBounds", () => {
  it("water-fills around members below the even share", () => {
    const b = shareBounds(
      1000,
      [
        { id: "x", capacity: 100 },
        { id: "y", capacity: 0 },
        { id: "z", capacity: 0 },
      ],
      0,
    );
    expect(b.get("x")).toBe(100);
    expect(b.get("y")).toBe(450);
    expect(b.get("z")).toBe(450);
  });
});

describe("planOwnership", () => {
  const assignment = new Map([
    ["t/a", "me"],
    ["t/b", "me"],
    ["t/c", "other"],
    ["t/d", "gone"],
  ]);
  it("takes what is assigned to it and hands over only to live members", () => {
    const plan = planOwnership(
      "me",
      assignment,
      new Set(["t/a", "t/c", "t/d", "t/x"]),
      new Set(["me", "other"]),
    );
    expect(plan.acquire).toEqual(["t/b"]);
    // t/d's assignee is not live; t/x is assigned to no one (all full): both stay.
    expect(plan.handOver).toEqual(["t/c"]);
  });
  it("does nothing once settled", () => {
    expect(planOwnership("me", assignment, new Set(["t/a", "t/b"]), new Set(["me", "other"]))).toEqual({
      acquire: [],
      handOver: [],
    });
  });
});
