import { describe, expect, it } from "vitest";
import { parseHeaderBlock } from "./headers.js";

const block = (...lines: string[]) => Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "utf8");

describe("parseHeaderBlock", () => {
  it("decodes encoded words, lower-cases addresses, trims names, flattens groups", () => {
    const h = parseHeaderBlock(
      block(
        "From: =?utf-8?B?SsO2cmc=?=   <JOERG@Example.com>",
        "To: undisclosed-recipients:;",
        'Cc: Team: a@x.org, "B, Bee" <B@X.org>;, c@x.org',
        "Subject: =?iso-8859-1?Q?Gr=FC=DFe?= und =?utf-8?Q?mehr?=",
        "Reply-To: help@x.org",
      ),
    );
    expect(h.from).toEqual([{ name: "Jörg", address: "joerg@example.com" }]);
    expect(h.to).toEqual([]);
    expect(h.cc).toEqual([
      { name: "", address: "a@x.org" },
      { name: "B, Bee", address: "b@x.org" },
      { name: "", address: "c@x.org" },
    ]);
    expect(h.subject).toBe("Grüße und mehr");
    expect(h.replyTo).toEqual([{ name: "", address: "help@x.org" }]);
  });

  it("adds repeated To lines up but keeps the first From and Subject", () => {
    const h = parseHeaderBlock(
      block("From: a@x.org", "From: b@x.org", "To: c@x.org", "To: d@x.org", "Subject: one", "Subject: two"),
    );
    expect(h.from.map((a) => a.address)).toEqual(["a@x.org"]);
    expect(h.to.map((a) => a.address)).toEqual(["c@x.org", "d@x.org"]);
    expect(h.subject).toBe("one");
    expect(h.headers.subject).toEqual(["one", "two"]);
  });

  it("unfolds, keeps angle brackets on ids and derives threadKey from References first", () => {
    const h = parseHeaderBlock(
      block(
        "Message-ID: abc@x.org",
        "In-Reply-To: <p@x.org>",
        "References: <root@x.org>",
        "\t<mid@x.org>",
        "References: <p@x.org>",
      ),
    );
    expect(h.messageId).toBe("<abc@x.org>");
    expect(h.references).toEqual(["<root@x.org>", "<mid@x.org>", "<p@x.org>"]);
    expect(h.threadKey).toBe("<root@x.org>");
    expect(parseHeaderBlock(block("Message-ID: <m@x>", "In-Reply-To: <p@x>")).threadKey).toBe("<p@x>");
    expect(parseHeaderBlock(block("Message-ID: <m@x>")).threadKey).toBe("<m@x>");
    expect(parseHeaderBlock(block("Subject: none")).threadKey).toBeNull();
  });

  it("reads the Date as ISO and an unparseable or missing one as null", () => {
    expect(parseHeaderBlock(block("Date: Tue, 01 Oct 2024 10:00:00 +0200")).date).toBe(
      "2024-10-01T08:00:00.000Z",
    );
    expect(parseHeaderBlock(block("Date: someday soon")).date).toBeNull();
    expect(parseHeaderBlock(block("Subject: x")).date).toBeNull();
  });

  it("reads raw 8-bit header bytes as UTF-8 and ignores prototype-named headers", () => {
    const h = parseHeaderBlock(block("Subject: Grüße roh", "__proto__: x", "X-Ticket:  42 "));
    expect(h.subject).toBe("Grüße roh");
    expect(h.headers["x-ticket"]).toEqual(["42"]);
    expect(Object.hasOwn(h.headers, "__proto__")).toBe(false);
  });

  it("gives empty values when the block is empty (a server answered no fields)", () => {
    const h = parseHeaderBlock(Buffer.from("\r\n"));
    expect(h).toMatchObject({ subject: "", from: [], to: [], messageId: null, date: null, references: [] });
  });
});
