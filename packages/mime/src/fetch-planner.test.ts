import { type ContentNeeds, DEFAULT_FETCH_LIMITS, NO_NEEDS } from "@mailhook/model";
import type { MessageStructureObject } from "imapflow";
import { describe, expect, it } from "vitest";
import { planFetch, wireCap } from "./fetch-planner.js";
import { ALWAYS_HEADERS } from "./headers.js";

// Fixtures have the shape imapflow's parseBodystructure produces (part numbers, lower-cased
// types), except where a test says otherwise.
const text = (
  part: string | undefined,
  extra: Partial<MessageStructureObject> = {},
): MessageStructureObject => ({
  ...(part === undefined ? {} : { part }),
  type: "text/plain",
  parameters: { charset: "utf-8" },
  encoding: "7bit",
  size: 120,
  ...extra,
});
const html = (
  part: string | undefined,
  extra: Partial<MessageStructureObject> = {},
): MessageStructureObject =>
  text(part, { type: "text/html", encoding: "quoted-printable", size: 900, ...extra });
const multi = (
  subtype: string,
  part: string | undefined,
  childNodes: MessageStructureObject[],
): MessageStructureObject => ({
  ...(part === undefined ? {} : { part }),
  type: `multipart/${subtype}`,
  childNodes,
});
const pdf = (part: string, extra: Partial<MessageStructureObject> = {}): MessageStructureObject => ({
  part,
  type: "application/pdf",
  parameters: { name: "invoice.pdf" },
  encoding: "base64",
  size: 780_000,
  disposition: "attachment",
  dispositionParameters: { filename: "invoice.pdf" },
  ...extra,
});

const TEXT: ContentNeeds = { ...NO_NEEDS, text: true };
const HTML: ContentNeeds = { ...NO_NEEDS, html: true };
const CONTENT: ContentNeeds = { ...NO_NEEDS, attachments: "content" };
const L = DEFAULT_FETCH_LIMITS;

describe("planFetch", () => {
  it("fetches nothing but headers when nothing else is needed", () => {
    const plan = planFetch(multi("mixed", undefined, [text("1"), pdf("2")]), NO_NEEDS, L);
    expect(plan.sections).toEqual([]);
    expect(plan.headers).toEqual(ALWAYS_HEADERS);
    expect(plan.raw).toBe(false);
    // Attachment metadata is free with BODYSTRUCTURE, so it is always listed.
    expect(plan.attachments.map((a) => a.partId)).toEqual(["2"]);
  });

  it("reads the body of a single-part message as section 1", () => {
    const plan = planFetch(text(undefined), TEXT, L);
    expect(plan.sections).toEqual([{ key: "1" }]);
    expect(plan.text).toEqual([expect.objectContaining({ partId: "1", kind: "plain", charset: "utf-8" })]);
    expect(plan.attachments).toEqual([]);
  });

  it("takes text/plain for text and text/html for html in an alternative", () => {
    const tree = multi("alternative", undefined, [text("1"), html("2")]);
    expect(planFetch(tree, TEXT, L).sections).toEqual([{ key: "1" }]);
    expect(planFetch(tree, HTML, L).sections).toEqual([{ key: "2" }]);
    const both = planFetch(tree, { ...TEXT, html: true }, L);
    expect(both.sections).toEqual([{ key: "1" }, { key: "2" }]);
    expect(both.text.map((t) => t.partId)).toEqual(["1"]);
    expect(both.html.map((t) => t.partId)).toEqual(["2"]);
  });

  it("lists a PDF attachment and fetches its bytes only for content needs", () => {
    const tree = multi("mixed", undefined, [multi("alternative", "1", [text("1.1"), html("1.2")]), pdf("2")]);
    const plan = planFetch(tree, TEXT, L);
    expect(plan.sections).toEqual([{ key: "1.1" }]);
    expect(plan.attachments).toEqual([
      {
        partId: "2",
        filename: "invoice.pdf",
        contentType: "application/pdf",
        size: 570_000,
        contentId: null,
        inline: false,
      },
    ]);
    expect(planFetch(tree, CONTENT, L).sections).toEqual([{ key: "2" }]);
    // Above the cap: still listed, never downloaded.
    const small = planFetch(tree, CONTENT, { ...L, attachmentBytes: 100_000 });
    expect(small.sections).toEqual([]);
    expect(small.attachments).toHaveLength(1);
  });

  it("walks mixed > alternative > related with an inline image", () => {
    const image: MessageStructureObject = {
      part: "1.2.2",
      type: "image/png",
      parameters: { name: "logo.png" },
      id: "<logo@x>",
      encoding: "base64",
      size: 7800,
    };
    const tree = multi("mixed", undefined, [
      multi("alternative", "1", [text("1.1"), multi("related", "1.2", [html("1.2.1"), image])]),
      pdf("2"),
    ]);
    const plan = planFetch(tree, { ...TEXT, html: true }, L);
    expect(plan.text.map((t) => t.partId)).toEqual(["1.1"]);
    expect(plan.html.map((t) => t.partId)).toEqual(["1.2.1"]);
    expect(plan.sections.map((s) => s.key)).toEqual(["1.1", "1.2.1"]);
    expect(plan.attachments).toEqual([
      {
        partId: "1.2.2",
        filename: "logo.png",
        contentType: "image/png",
        size: 5700,
        contentId: "<logo@x>",
        inline: true,
      },
      expect.objectContaining({ partId: "2", inline: false }),
    ]);
  });

  it("treats an attached message/rfc822 as one attachment and never reads its text", () => {
    const forwarded: MessageStructureObject = {
      part: "2",
      type: "message/rfc822",
      encoding: "7bit",
      size: 5000,
      childNodes: [multi("mixed", "2", [text("2.1"), pdf("2.2")])],
    };
    const plan = planFetch(
      multi("mixed", undefined, [text("1"), forwarded]),
      { ...TEXT, attachments: "content" },
      L,
    );
    expect(plan.text.map((t) => t.partId)).toEqual(["1"]);
    expect(plan.attachments).toEqual([
      {
        partId: "2",
        filename: null,
        contentType: "message/rfc822",
        size: 5000,
        contentId: null,
        inline: false,
      },
    ]);
    expect(plan.sections).toEqual([{ key: "1" }, { key: "2" }]);
  });

  it("converts HTML-only mail: as the root part, and (unlike mailparser) inside multipart/mixed", () => {
    const root = planFetch(html(undefined), TEXT, L);
    expect(root.text).toEqual([expect.objectContaining({ partId: "1", kind: "html" })]);
    const mixed = planFetch(multi("mixed", undefined, [html("1"), pdf("2")]), TEXT, L);
    expect(mixed.text).toEqual([expect.objectContaining({ partId: "1", kind: "html" })]);
    expect(mixed.sections).toEqual([{ key: "1" }]);
  });

  it("joins every inline text/plain part (a list footer), and HTML beside plain text outside an alternative", () => {
    const tree = multi("mixed", undefined, [text("1"), html("2"), text("3", { disposition: "inline" })]);
    const plan = planFetch(tree, TEXT, L);
    expect(plan.text.map((t) => [t.partId, t.kind])).toEqual([
      ["1", "plain"],
      ["2", "html"],
      ["3", "plain"],
    ]);
  });

  it("reads a missing Content-Type as text/plain and accepts upper-case types and encodings", () => {
    const plan = planFetch(
      multi("mixed", undefined, [
        { part: "1", type: "", encoding: "QUOTED-PRINTABLE", size: 50 },
        {
          part: "2",
          type: "APPLICATION/OCTET-STREAM",
          encoding: "BASE64",
          size: 78,
          disposition: "ATTACHMENT",
          dispositionParameters: { filename: "Report.PDF" },
        },
      ]),
      TEXT,
      L,
    );
    expect(plan.text).toEqual([
      expect.objectContaining({ partId: "1", contentType: "text/plain", encoding: "quoted-printable" }),
    ]);
    expect(plan.attachments).toEqual([
      expect.objectContaining({
        partId: "2",
        filename: "Report.PDF",
        contentType: "application/pdf",
        size: 57,
      }),
    ]);
  });

  it('reads an unparseable Content-Type (Dovecot: NIL, imapflow: "/") as text/plain, RFC 2045 5.2', () => {
    const plan = planFetch({ type: "/", encoding: "7bit", size: 300 }, TEXT, L);
    expect(plan.text).toEqual([expect.objectContaining({ partId: "1", contentType: "text/plain" })]);
    expect(plan.attachments).toEqual([]);
    // A multipart without subtype is still a container, not a leaf.
    const tree = planFetch(multi("", undefined, [text("1"), pdf("2")]), TEXT, L);
    expect(tree.text.map((t) => t.partId)).toEqual(["1"]);
    expect(tree.attachments.map((a) => a.partId)).toEqual(["2"]);
  });

  it("treats text parts with an attachment or unknown disposition as attachments", () => {
    const plan = planFetch(
      multi("mixed", undefined, [
        text("1"),
        text("2", { disposition: "attachment", dispositionParameters: { filename: "notes.txt" } }),
        text("3", { disposition: "x-weird" }),
      ]),
      TEXT,
      L,
    );
    expect(plan.text.map((t) => t.partId)).toEqual(["1"]);
    expect(plan.attachments.map((a) => [a.partId, a.filename, a.contentType])).toEqual([
      ["2", "notes.txt", "text/plain"],
      ["3", null, "text/plain"],
    ]);
  });

  it("decodes RFC 2231 and RFC 2047 filenames a client left encoded", () => {
    const plan = planFetch(
      multi("mixed", undefined, [
        text("1"),
        pdf("2", { dispositionParameters: { "filename*": "utf-8''%E2%82%AC%20rates.pdf" }, parameters: {} }),
        pdf("3", { dispositionParameters: {}, parameters: { name: "=?utf-8?q?caf=C3=A9.pdf?=" } }),
        pdf("4", {
          dispositionParameters: { "filename*0*": "utf-8''na%C3%AFve", "filename*1": ".pdf" },
          parameters: {},
        }),
      ]),
      NO_NEEDS,
      L,
    );
    expect(plan.attachments.map((a) => a.filename)).toEqual(["€ rates.pdf", "café.pdf", "naïve.pdf"]);
  });

  it("caps big text parts with a partial fetch sized for the transfer encoding", () => {
    const limits = { ...L, textBytes: 1000 };
    const b64 = planFetch(text(undefined, { encoding: "base64", size: 2_000_000 }), TEXT, limits);
    expect(b64.sections).toEqual([{ key: "1", maxLength: wireCap(1000, "base64") }]);
    // 1000 decoded bytes need at least 1000 * 78 / 57 wire bytes of base64.
    expect(b64.sections[0]!.maxLength!).toBeGreaterThanOrEqual(Math.ceil((1000 * 78) / 57));
    const qp = planFetch(text(undefined, { encoding: "quoted-printable", size: 2_000_000 }), TEXT, limits);
    expect(qp.sections[0]!.maxLength!).toBeGreaterThanOrEqual(3000);
    const plain = planFetch(text(undefined, { encoding: "8bit", size: 2_000_000 }), TEXT, limits);
    expect(plain.sections).toEqual([{ key: "1", maxLength: 1000 }]);
    // A part that fits is fetched whole: no partial marker, so no truncation is reported.
    const fits = planFetch(text(undefined, { encoding: "8bit", size: 900 }), TEXT, limits);
    expect(fits.sections).toEqual([{ key: "1" }]);
    // HTML converted to text is capped by the HTML cap (markup is bulky, text comes out smaller).
    const h = planFetch(html(undefined, { encoding: "8bit", size: 5_000_000 }), TEXT, limits);
    expect(h.sections).toEqual([{ key: "1", maxLength: L.htmlBytes }]);
  });

  it("passes odd transfer encodings through uncapped by a multiplier", () => {
    const plan = planFetch(text(undefined, { encoding: "x-uuencode", size: 500 }), TEXT, L);
    expect(plan.text[0]!.encoding).toBe("x-uuencode");
    expect(plan.sections).toEqual([{ key: "1" }]);
  });

  it("adds rule headers to the always-fetched ones, or asks for the whole header", () => {
    const plan = planFetch(text(undefined), { ...NO_NEEDS, headers: ["X-Ticket", "subject"] }, L);
    expect(plan.headers).toEqual([...ALWAYS_HEADERS, "x-ticket"]);
    expect(planFetch(text(undefined), { ...NO_NEEDS, headers: "all" }, L).headers).toBe("all");
    // Names that would not be one IMAP atom never reach the command.
    const odd = planFetch(
      text(undefined),
      { ...NO_NEEDS, headers: ["x-a b", "x-c)", 'x-"d', "x-e\r\nx-f", "List-Id"] },
      L,
    );
    expect(odd.headers).toEqual([...ALWAYS_HEADERS, "list-id"]);
  });

  it("marks format=flowed plain text and carries raw and asked flags", () => {
    const plan = planFetch(
      text(undefined, { parameters: { charset: "utf-8", format: "Flowed", delsp: "yes" } }),
      { ...TEXT, raw: true },
      L,
    );
    expect(plan.text[0]).toMatchObject({ flowed: true, delSp: true });
    expect(plan).toMatchObject({ raw: true, wantText: true, wantHtml: false });
  });

  it("plans only headers without a BODYSTRUCTURE", () => {
    const plan = planFetch(undefined, { ...TEXT, html: true, attachments: "content" }, L);
    expect(plan.sections).toEqual([]);
    expect(plan.text).toEqual([]);
    expect(plan.wantText).toBe(true);
  });
});
