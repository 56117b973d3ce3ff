import type { MailMessage } from "@mailhook/model";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileRules, evaluateRules } from "./compile.js";
import type { Condition, Leaf } from "./condition.js";
import { attachment, message, rules, ruleWhen } from "./test-message.js";

// Letters whose upper/lower case round-trip one-to-one (no ß → SS), so case changes keep lengths.
const letters = "aAbBcCéÉöÖ #-1".split("");
const word = fc.string({ unit: fc.constantFrom(...letters), maxLength: 6 });
const domains = ["vendor.com", "Example.org", "corp.example"];

const msgArb: fc.Arbitrary<MailMessage> = fc
  .record({
    subject: word,
    to: fc.array(fc.constantFrom(...domains), { maxLength: 3 }),
    flags: fc.subarray(["\\Seen", "\\Flagged", "$Todo"]),
    size: fc.integer({ min: 0, max: 100_000 }),
    attachments: fc.nat({ max: 2 }),
  })
  .map((r) =>
    message({
      subject: r.subject,
      to: r.to.map((d, i) => ({ name: `N${i}`, address: `u${i}@${d}` })),
      flags: r.flags,
      size: r.size,
      attachments: Array.from({ length: r.attachments }, (_, i) => attachment({ partId: String(i + 2) })),
    }),
  );

const textLeaf: fc.Arbitrary<Leaf> = fc.record({
  field: fc.constant("subject"),
  op: fc.constantFrom("equals", "contains", "startsWith", "endsWith"),
  value: word,
});
const leafArb: fc.Arbitrary<Leaf> = fc.oneof(
  textLeaf,
  fc.record({
    field: fc.constant("subject"),
    op: fc.constant("matches"),
    value: fc.constantFrom("a|b", "^a", "b$", "é+", "[#1]"),
  }),
  fc.record({
    field: fc.constant("to.domain"),
    op: fc.constant("equals"),
    value: fc.constantFrom(...domains),
  }),
  fc.record({
    field: fc.constant("flags"),
    op: fc.constant("in"),
    value: fc.subarray(["\\seen", "$todo", "\\draft"], { minLength: 1 }),
  }),
  fc.record({
    field: fc.constant("size"),
    op: fc.constantFrom("gt", "lte"),
    value: fc.integer({ min: 0, max: 100_000 }),
  }),
  fc.record({ field: fc.constant("hasAttachments"), op: fc.constant("equals"), value: fc.boolean() }),
  fc.record({ field: fc.constantFrom("cc", "to"), op: fc.constant("exists") }),
);

const condArb: fc.Arbitrary<Condition> = fc.letrec<{ cond: Condition }>((tie) => ({
  cond: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leafArb,
    fc.record({ all: fc.array(tie("cond"), { minLength: 1, maxLength: 3 }) }),
    fc.record({ any: fc.array(tie("cond"), { minLength: 1, maxLength: 3 }) }),
    fc.record({ not: tie("cond") }),
  ),
})).cond;

function ev(when: Condition, msg: MailMessage): boolean {
  return evaluateRules(compileRules(rules(ruleWhen(when))), msg).length === 1;
}

const runs = { numRuns: 300 };

describe("condition laws (fast-check)", () => {
  it("not(not c) ≡ c", () => {
    fc.assert(
      fc.property(condArb, msgArb, (c, m) => ev({ not: { not: c } }, m) === ev(c, m)),
      runs,
    );
  });
  it("all([c]) ≡ c ≡ any([c])", () => {
    fc.assert(
      fc.property(condArb, msgArb, (c, m) => {
        const v = ev(c, m);
        return ev({ all: [c] }, m) === v && ev({ any: [c] }, m) === v;
      }),
      runs,
    );
  });
  it("De Morgan: not(all(a,b)) ≡ any(not a, not b) and not(any(a,b)) ≡ all(not a, not b)", () => {
    fc.assert(
      fc.property(condArb, condArb, msgArb, (a, b, m) => {
        const one = ev({ not: { all: [a, b] } }, m) === ev({ any: [{ not: a }, { not: b }] }, m);
        const two = ev({ not: { any: [a, b] } }, m) === ev({ all: [{ not: a }, { not: b }] }, m);
        return one && two;
      }),
      runs,
    );
  });
  it("all and any are commutative", () => {
    fc.assert(
      fc.property(fc.array(condArb, { minLength: 1, maxLength: 4 }), msgArb, (cs, m) => {
        const rev = [...cs].reverse();
        return ev({ all: cs }, m) === ev({ all: rev }, m) && ev({ any: cs }, m) === ev({ any: rev }, m);
      }),
      runs,
    );
  });
  it("all/any agree with every/some over their children", () => {
    fc.assert(
      fc.property(fc.array(condArb, { minLength: 1, maxLength: 4 }), msgArb, (cs, m) => {
        const each = cs.map((c) => ev(c, m));
        return ev({ all: cs }, m) === each.every(Boolean) && ev({ any: cs }, m) === each.some(Boolean);
      }),
      runs,
    );
  });
});

describe("case folding (fast-check)", () => {
  const flip = (s: string, upper: boolean[]) =>
    [...s].map((ch, i) => (upper[i % upper.length] ? ch.toUpperCase() : ch.toLowerCase())).join("");

  it("changing the case of the value or of the subject never changes a text result", () => {
    fc.assert(
      fc.property(textLeaf, msgArb, fc.array(fc.boolean(), { minLength: 1 }), (leaf, m, upper) => {
        const v = ev(leaf, m);
        const value = flip(String(leaf.value), upper);
        const subject = flip(m.subject, [...upper].reverse());
        return ev({ ...leaf, value }, m) === v && ev(leaf, { ...m, subject }) === v;
      }),
      runs,
    );
  });
  it("folded text ops agree with a lower-case reference model", () => {
    const model: Record<string, (s: string, v: string) => boolean> = {
      equals: (s, v) => s === v,
      contains: (s, v) => s.includes(v),
      startsWith: (s, v) => s.startsWith(v),
      endsWith: (s, v) => s.endsWith(v),
    };
    fc.assert(
      fc.property(textLeaf, msgArb, (leaf, m) => {
        const expected = model[leaf.op]?.(m.subject.trim().toLowerCase(), String(leaf.value).toLowerCase());
        return ev(leaf, m) === expected;
      }),
      runs,
    );
  });
  it("caseSensitive agrees with the exact reference model", () => {
    fc.assert(
      fc.property(textLeaf, msgArb, (leaf, m) => {
        const s = m.subject.trim();
        const v = String(leaf.value);
        const expected = {
          equals: s === v,
          contains: s.includes(v),
          startsWith: s.startsWith(v),
          endsWith: s.endsWith(v),
        }[leaf.op as "equals"];
        expect(ev({ ...leaf, caseSensitive: true }, m)).toBe(expected);
      }),
      runs,
    );
  });
});
