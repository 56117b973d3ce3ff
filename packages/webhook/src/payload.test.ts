import type { MailMessage } from "@mailhook/model";
import { describe, expect, it } from "vitest";
import { buildPayload, type PayloadInclude, WebhookPayload } from "./payload.js";

const message: MailMessage = {
  mailboxId: "mbx_1",
  folder: "INBOX",
  uid: 42,
  uidValidity: 1_700_000_000,
  messageId: "<a@example.com>",
  inReplyTo: "<root@example.com>",
  references: ["<root@example.com>"],
  threadKey: "<root@example.com>",
  date: "2026-11-26T01:00:00.000Z",
  internalDate: "2026-11-26T01:00:01.000Z",
  subject: "Invoice #1234",
  from: [{ name: "Vendor", address: "billing@vendor.com" }],
  sender: [{ name: "", address: "bounce@vendor.com" }],
  to: [{ name: "", address: "invoices@acme.test" }],
  cc: [],
  bcc: [{ name: "", address: "secret-bcc@acme.test" }],
  replyTo: [{ name: "", address: "support@vendor.com" }],
  flags: ["\\Recent"],
  size: 12_345,
  headers: { "x-mailer": ["Mutt"], received: ["from a", "from b"] },
  text: "Please pay.",
  textTruncated: true,
  html: "<p>Please pay.</p>",
  htmlTruncated: false,
  attachments: [
    {
      partId: "2",
      filename: "invoice.pdf",
      contentType: "application/pdf",
      size: 3,
      contentId: null,
      inline: false,
      sha256: "abc",
      content: "JVBE",
    },
  ],
  raw: "UmF3",
};

const nothing: PayloadInclude = { text: false, html: false, headers: false, attachments: "none", raw: false };
const everything: PayloadInclude = {
  text: true,
  html: true,
  headers: true,
  attachments: "content",
  raw: true,
};

function build(include: PayloadInclude) {
  return buildPayload({
    deliveryId: "msg_abc",
    now: new Date("2026-11-26T01:15:00.000Z"),
    tenant: "ten_1",
    mailbox: { id: "mbx_1", address: "invoices@acme.test", folder: "INBOX" },
    message,
    rule: { id: "rul_1", name: "Invoices" },
    extracted: { invoiceNo: "1234", po: null },
    include,
  });
}

describe("buildPayload", () => {
  it("always carries the envelope, rule, extracted values and ids", () => {
    const p = build(nothing);
    expect(WebhookPayload.parse(p)).toEqual(p);
    expect(p).toMatchObject({
      type: "message.matched",
      version: 1,
      id: "msg_abc",
      timestamp: "2026-11-26T01:15:00.000Z",
      tenant: "ten_1",
      mailbox: { id: "mbx_1", address: "invoices@acme.test", folder: "INBOX" },
      rule: { id: "rul_1", name: "Invoices" },
      extracted: { invoiceNo: "1234", po: null },
    });
    expect(p.message).toMatchObject({
      uid: 42,
      uidValidity: 1_700_000_000,
      messageId: "<a@example.com>",
      threadKey: "<root@example.com>",
      subject: "Invoice #1234",
      from: [{ name: "Vendor", address: "billing@vendor.com" }],
      replyTo: [{ name: "", address: "support@vendor.com" }],
      size: 12_345,
    });
  });

  it("copies nothing optional when nothing is included", () => {
    const m = build(nothing).message;
    for (const key of ["headers", "text", "html", "htmlTruncated", "raw"]) expect(m).not.toHaveProperty(key);
    expect(m.attachments).toEqual([]);
    expect(m.textTruncated).toBe(false);
  });

  it("never leaks bcc, sender or the mailbox-internal fields", () => {
    const json = JSON.stringify(build(everything));
    expect(json).not.toContain("secret-bcc@acme.test");
    expect(json).not.toContain("bounce@vendor.com");
    expect(build(everything).message).not.toHaveProperty("mailboxId");
  });

  it("copies each included part and only that part", () => {
    expect(build({ ...nothing, text: true }).message).toMatchObject({
      text: "Please pay.",
      textTruncated: true,
    });
    expect(build({ ...nothing, text: true }).message).not.toHaveProperty("html");
    expect(build({ ...nothing, html: true }).message).toMatchObject({
      html: "<p>Please pay.</p>",
      htmlTruncated: false,
    });
    expect(build({ ...nothing, html: true }).message).not.toHaveProperty("text");
    expect(build({ ...nothing, headers: true }).message.headers).toEqual(message.headers);
    expect(build({ ...nothing, raw: true }).message.raw).toBe("UmF3");
  });

  it("includes attachment metadata without bytes, or with bytes when asked", () => {
    const meta = build({ ...nothing, attachments: "metadata" }).message.attachments;
    expect(meta).toEqual([
      {
        partId: "2",
        filename: "invoice.pdf",
        contentType: "application/pdf",
        size: 3,
        contentId: null,
        inline: false,
        sha256: "abc",
      },
    ]);
    expect(build(everything).message.attachments[0]?.content).toBe("JVBE");
  });

  it("keeps null text when the message has no text part but text was asked for", () => {
    const p = buildPayload({
      deliveryId: "msg_x",
      now: new Date(0),
      tenant: "t",
      mailbox: { id: "m", address: "a@b.c", folder: "INBOX" },
      message: { ...message, text: null, textTruncated: false },
      rule: { id: "r", name: "n" },
      extracted: {},
      include: { ...nothing, text: true },
    });
    expect(p.message).toHaveProperty("text", null);
    expect(WebhookPayload.parse(p)).toEqual(p);
  });
});
