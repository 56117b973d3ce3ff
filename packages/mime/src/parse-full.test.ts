import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseFullMessage } from "./parse-full.js";

const target = { mailboxId: "mbx_1", folder: "INBOX", uidValidity: 3, uid: 9 };
const eml = (...lines: string[]) => Buffer.from(lines.join("\r\n"), "utf8");

describe("parseFullMessage", () => {
  it("produces the normalised MailMessage of a whole source", async () => {
    const raw = eml(
      "From: =?utf-8?q?Zo=C3=AB?= <ZOE@Example.org>",
      "To: a@x.org",
      "To: b@x.org",
      "Reply-To: r@x.org",
      "Subject:  =?utf-8?q?Caf=C3=A9?= ",
      "Date: Wed, 02 Oct 2024 12:00:00 +0000",
      "Message-ID: bare@x.org",
      "References: <r1@x> <r2@x>",
      "X-Ticket: 77",
      "",
      "Hello",
      "",
    );
    const msg = await parseFullMessage(raw, { ...target, flags: ["\\Seen"], internalDate: new Date(0) });
    expect(msg).toMatchObject({
      ...target,
      from: [{ name: "Zoë", address: "zoe@example.org" }],
      to: [
        { name: "", address: "a@x.org" },
        { name: "", address: "b@x.org" },
      ],
      replyTo: [{ name: "", address: "r@x.org" }],
      subject: "Café",
      date: "2024-10-02T12:00:00.000Z",
      messageId: "<bare@x.org>",
      references: ["<r1@x>", "<r2@x>"],
      threadKey: "<r1@x>",
      flags: ["\\Seen"],
      internalDate: "1970-01-01T00:00:00.000Z",
      size: raw.length,
      text: "Hello\n",
      textTruncated: false,
      html: null,
    });
    expect(msg.headers["x-ticket"]).toEqual(["77"]);
  });

  it("says null for an unparseable Date where mailparser would say now", async () => {
    const msg = await parseFullMessage(eml("Subject: x", "Date: not a date", "", "b"), target);
    expect(msg.date).toBeNull();
    expect((await parseFullMessage(eml("Subject: x", "", "b"), target)).date).toBeNull();
  });

  it("converts HTML-only mail to text even when the HTML is inside multipart/mixed", async () => {
    const raw = eml(
      "Subject: x",
      'Content-Type: multipart/mixed; boundary="b"',
      "",
      "--b",
      "Content-Type: text/html; charset=utf-8",
      "",
      "<p>Only <b>HTML</b></p>",
      "--b",
      "Content-Type: image/png; name=a.png",
      "Content-Transfer-Encoding: base64",
      "Content-ID: <img1>",
      "",
      "iVBORw0KGgo=",
      "--b--",
      "",
    );
    const msg = await parseFullMessage(raw, target);
    expect(msg.text).toBe("Only HTML");
    expect(msg.html).toContain("<b>HTML</b>");
    expect(msg.attachments).toEqual([
      {
        partId: "2",
        filename: "a.png",
        contentType: "image/png",
        size: 8,
        contentId: "<img1>",
        inline: false,
        sha256: createHash("sha256").update(Buffer.from("iVBORw0KGgo=", "base64")).digest("hex"),
      },
    ]);
  });
});
