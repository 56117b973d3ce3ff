import { describe, expect, it } from "vitest";
import { htmlToText, nestsDeeperThan } from "./html-text.js";

describe("htmlToText", () => {
  it("converts like mailparser: paragraphs, links, entities, upper-cased headings", () => {
    const text = htmlToText(
      '<h1>Order</h1><p>Ship&nbsp;to <a href="https://x.test/t">track</a></p><p>Thanks</p>',
    );
    expect(text).toBe("ORDER\n\nShip\u00a0to track [https://x.test/t]\n\nThanks");
  });

  it("refuses hostile nesting quickly instead of spending seconds in the parser", () => {
    const deep = `${"<b>".repeat(200_000)}x${"</b>".repeat(200_000)}`;
    const t = performance.now();
    expect(htmlToText(deep)).toBe("");
    expect(performance.now() - t).toBeLessThan(1000);
  });

  it("counts only real nesting: void, implied-end and closed elements do not add up", () => {
    expect(nestsDeeperThan("<div><div></div></div>", 1)).toBe(true);
    expect(nestsDeeperThan("<div></div><div></div>", 1)).toBe(false);
    expect(nestsDeeperThan(`<table>${"<tr><td>x".repeat(5000)}</table>`, 3)).toBe(false);
    expect(nestsDeeperThan(`${"<br>".repeat(5000)}<!-- <div><div><div> -->`, 1)).toBe(false);
    // </a> closes <c> and <b> too, so <d> is at depth 1 again.
    expect(nestsDeeperThan("<a><b><c></a><d>", 3)).toBe(false);
    expect(nestsDeeperThan("<a><b><c></x><d>", 3)).toBe(true);
  });
});
