import { createHash } from "node:crypto";
import { type ContentNeeds, DEFAULT_FETCH_LIMITS, NO_NEEDS } from "@mailhook/model";
import type { MessageStructureObject } from "imapflow";
import { describe, expect, it } from "vitest";
import { buildMessage, type FetchedMeta } from "./build-message.js";
import { planFetch } from "./fetch-planner.js";

// buildMessage is the pure half of fetchMessages: plan + fetched sections → MailMessage. The
// section bytes here are what Dovecot would answer for BODY[n] / BODY[n]<0.N>.
const target = { mailboxId: "mbx_1", folder: "INBOX", uidValidity: 7 };
const meta = (headers: string): FetchedMeta => ({
  uid: 42,
  flags: ["\\Flagged"],
  internalDate: new Date("2024-10-01T08:00:00Z"),
  size: 123_456,
  headers: Buffer.from(headers.replace(/\n/g, "\r\n")),
});
const HEAD = "From: A <a@x.org>\nSubject: hi\nMessage-ID: <m@x>\n\n";

function build(
  structure: MessageStructureObject,
  needs: ContentNeeds,
  parts: Record<string, string | Buffer>,
  limits = DEFAULT_FETCH_LIMITS,
) {
  const plan = planFetch(structure, needs, limits);
  const map = new Map(
    Object.entries(parts).map(([k, v]) => [k, Buffer.isBuffer(v) ? v : Buffer.from(v, "latin1")]),
  );
  return { plan, msg: buildMessage(target, meta(HEAD), plan, map, limits) };
}

describe("buildMessage", () => {
  it("fills target, flags, dates and headers; text and html are null when not asked", () => {
    const { msg } = build({ type: "text/plain", size: 5, encoding: "7bit" }, NO_NEEDS, {});
    expect(msg).toMatchObject({
      mailboxId: "mbx_1",
      folder: "INBOX",
      uid: 42,
      uidValidity: 7,
      flags: ["\\Flagged"],
      size: 123_456,
      internalDate: "2024-10-01T08:00:00.000Z",
      subject: "hi",
      messageId: "<m@x>",
      threadKey: "<m@x>",
      text: null,
      html: null,
      textTruncated: false,
      attachments: [],
    });
    expect(msg.raw).toBeUndefined();
  });

  it("decodes charset + QP, unwraps format=flowed and turns CRLF into LF", () => {
    // QP drops trailing blanks as transport padding, so a flowed line's space arrives as =20.
    const structure: MessageStructureObject = {
      type: "text/plain",
      parameters: { charset: "iso-8859-1", format: "flowed" },
      encoding: "quoted-printable",
      size: 60,
    };
    const { msg } = build(
      structure,
      { ...NO_NEEDS, text: true },
      { "1": "Gr=FC=DFe, dies ist ein=20\r\nlanger Satz.\r\nZweite Zeile" },
    );
    expect(msg.text).toBe("Grüße, dies ist ein langer Satz.\nZweite Zeile");
    expect(msg.textTruncated).toBe(false);
  });

  it("says textTruncated when a partial fetch cut the part, and cuts cleanly", () => {
    const limits = { ...DEFAULT_FETCH_LIMITS, textBytes: 100 };
    const full = Buffer.from("é".repeat(1000)).toString("base64").replace(/.{76}/g, "$&\r\n");
    const structure: MessageStructureObject = {
      type: "text/plain",
      parameters: { charset: "utf-8" },
      encoding: "base64",
      size: full.length,
    };
    const { plan, msg } = build(structure, { ...NO_NEEDS, text: true }, {}, limits);
    const cap = plan.sections[0]!.maxLength!;
    const { msg: cut } = build(structure, { ...NO_NEEDS, text: true }, { "1": full.slice(0, cap) }, limits);
    expect(msg.text).toBe("");
    expect(cut.text).toBe("é".repeat(50));
    expect(cut.textTruncated).toBe(true);
  });

  it("joins plain parts with a newline and skips empty ones; html joined separately", () => {
    const structure: MessageStructureObject = {
      type: "multipart/mixed",
      childNodes: [
        { part: "1", type: "text/plain", size: 5, encoding: "7bit" },
        { part: "2", type: "text/plain", size: 0, encoding: "7bit" },
        { part: "3", type: "text/plain", size: 6, encoding: "7bit", disposition: "inline" },
      ],
    };
    const { msg } = build(
      structure,
      { ...NO_NEEDS, text: true, html: true },
      { "1": "body\r\n", "2": "", "3": "footer" },
    );
    expect(msg.text).toBe("body\n\nfooter");
    expect(msg.html).toBe("");
  });

  it("adds attachment content with sha256 under the cap, and only metadata above it", () => {
    const pdf = Buffer.from("%PDF-1.4 pretend this is a PDF");
    const wire = pdf.toString("base64");
    const structure: MessageStructureObject = {
      type: "multipart/mixed",
      childNodes: [
        { part: "1", type: "text/plain", size: 2, encoding: "7bit" },
        {
          part: "2",
          type: "application/pdf",
          size: wire.length,
          encoding: "base64",
          disposition: "attachment",
          dispositionParameters: { filename: "a.pdf" },
        },
      ],
    };
    const needs: ContentNeeds = { ...NO_NEEDS, attachments: "content" };
    const { msg } = build(structure, needs, { "2": wire });
    expect(msg.attachments[0]).toEqual({
      partId: "2",
      filename: "a.pdf",
      contentType: "application/pdf",
      size: pdf.length,
      contentId: null,
      inline: false,
      sha256: createHash("sha256").update(pdf).digest("hex"),
      content: pdf.toString("base64"),
    });
    // The estimate let it through but the real size is over the cap: metadata only.
    const tight = { ...DEFAULT_FETCH_LIMITS, attachmentBytes: pdf.length - 1 };
    const { msg: over } = build(structure, needs, { "2": wire }, tight);
    expect(over.attachments[0]!.content).toBeUndefined();
    expect(over.attachments[0]!.sha256).toBeUndefined();
    expect(over.attachments[0]!.size).toBe(pdf.length);
  });
});
