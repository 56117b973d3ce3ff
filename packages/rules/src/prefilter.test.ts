import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { passes } from "./prefilter.js";
import { compileRegex } from "./regex.js";
import { foldText, nfc } from "./text.js";

function compiled(pattern: string, flags = "", caseSensitive = false) {
  const r = compileRegex(pattern, flags, caseSensitive);
  if (!r.ok) throw new Error(r.reason);
  return r;
}

describe("case-folding regex prefilter", () => {
  it("is built from re2js's literal analysis (fails loudly if a re2js upgrade changes its internals)", () => {
    expect(compiled("invoice").prefilter).toEqual({ lit: "invoice" });
    expect(compiled("Invoice #(\\d+) due").prefilter).toEqual({
      and: [{ lit: "invoice #" }, { lit: " due" }],
    });
    expect(compiled("invoice|rechnung").prefilter).toEqual({ or: [{ lit: "invoice" }, { lit: "rechnung" }] });
  });
  it("has none when a branch has no literal, or a literal is not ASCII, or the pattern is case-sensitive", () => {
    expect(compiled("invoice|\\d+").prefilter).toBeNull();
    expect(compiled("überweisung").prefilter).toBeNull();
    expect(compiled("invoice", "", true).prefilter).toBeNull();
    expect(compiled("a*").prefilter).toBeNull();
  });
  it("rules out text without the literal, and keeps text with it in any case", () => {
    const p = compiled("order (no\\.|number)\\s*\\d+").prefilter;
    if (!p) throw new Error("expected a prefilter");
    expect(passes(p, foldText("ORDER NUMBER 5"))).toBe(true);
    expect(passes(p, foldText("order 5"))).toBe(false);
  });
  it("treats long s and the Kelvin sign like re2 does", () => {
    const r = compiled("class k");
    expect(r.re.test("claſſ \u212a")).toBe(true);
    expect(r.prefilter && passes(r.prefilter, foldText("claſſ \u212a"))).toBe(true);
  });

  // The property that matters: the prefilter never rejects text the regex matches.
  const alphabet = [
    "a",
    "A",
    "b",
    "k",
    "K",
    "s",
    "S",
    "\u017f",
    "\u212a",
    "é",
    "e\u0301",
    "İ",
    "ı",
    "ß",
    "Σ",
    "σ",
    "ς",
    " ",
    ".",
    "1",
  ];
  const atom = fc.constantFrom(
    ...alphabet.filter((c) => c !== "."),
    "\\.",
    ".",
    "\\d",
    "[ab]",
    "[^a]",
    "\\s",
    "\\bk",
  );
  const quant = fc.constantFrom("", "", "", "?", "*", "+", "{0,2}", "{1,2}", "??");
  const piece = fc.tuple(atom, quant).map(([a, q]) => a + q);
  const seq = fc.array(piece, { minLength: 1, maxLength: 6 }).map((xs) => xs.join(""));
  const group = fc
    .tuple(seq, seq, fc.constantFrom("(", "(?:", "(?i:", "(?-i:"), quant)
    .map(([a, b, open, q]) => `${open}${a}|${b})${q}`);
  const pattern = fc
    .array(fc.oneof(seq, group), { minLength: 1, maxLength: 3 })
    .chain((parts) => fc.constantFrom(parts.join(""), parts.join("|")));
  const text = fc.array(fc.constantFrom(...alphabet), { maxLength: 24 }).map((xs) => nfc(xs.join("")));

  it("never rejects a text the case-folding regex matches (fast-check)", () => {
    fc.assert(
      fc.property(pattern, text, fc.constantFrom("", "s", "m"), (p, t, flags) => {
        const r = compileRegex(p, flags);
        if (!r.ok || !r.prefilter) return true;
        return !r.re.test(t) || passes(r.prefilter, foldText(t));
      }),
      { numRuns: 3000 },
    );
  });
  it("actually filters in that generated space (the property above is not vacuous)", () => {
    let filtered = 0;
    let matchedThroughFilter = 0;
    fc.assert(
      fc.property(pattern, text, (p, t) => {
        const r = compileRegex(p);
        if (!r.ok || !r.prefilter) return;
        if (!passes(r.prefilter, foldText(t))) filtered++;
        else if (r.re.test(t)) matchedThroughFilter++;
      }),
      { numRuns: 2000 },
    );
    expect(filtered).toBeGreaterThan(100);
    expect(matchedThroughFilter).toBeGreaterThan(20);
  });
});
