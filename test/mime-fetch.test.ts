import { createHash, randomBytes } from "node:crypto";
import { fetchMessage, fetchMessages, parseFullMessage } from "@mailhook/mime";
import { type ContentNeeds, DEFAULT_FETCH_LIMITS, NO_NEEDS } from "@mailhook/model";
import { makeMail, startDovecot, startTcpProxy, type TcpProxy, type TestDovecot } from "@mailhook/testing";
import { ImapFlow } from "imapflow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Real Dovecot, real imapflow: the bytes each plan reads are counted on the socket by a proxy.
let dovecot: TestDovecot;
let proxy: TcpProxy;
let client: ImapFlow;
let uidValidity = 0;
const target = () => ({ mailboxId: "mbx_test", folder: "INBOX", uidValidity });

const pdf = randomBytes(3 * 1024 * 1024);
const uids: Record<string, number> = {};

const latin1Mail = Buffer.from(
  [
    "From: =?iso-8859-1?q?J=F6rg_M=FCller?= <Joerg@Example.COM>",
    "To: a@example.com, B <B@Example.com>",
    "Cc: group: c1@example.com, c2@example.com;",
    "Subject: =?iso-8859-1?q?Gr=FC=DFe?=",
    "Date: Tue, 1 Oct 2024 10:00:00 +0200",
    "Message-ID: <m1@example.com>",
    "In-Reply-To: <p1@example.com>",
    "References: <root@example.com> <p1@example.com>",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=iso-8859-1",
    "Content-Transfer-Encoding: quoted-printable",
    "",
    "Sch=F6ne Gr=FC=DFe aus K=F6ln",
    "",
  ].join("\r\n"),
);

const htmlOnlyMixed = Buffer.from(
  [
    "From: shop@example.com",
    "To: me@example.com",
    "Subject: html only",
    "Message-ID: <h1@example.com>",
    "MIME-Version: 1.0",
    'Content-Type: multipart/mixed; boundary="b1"',
    "",
    "--b1",
    "Content-Type: text/html; charset=utf-8",
    "",
    "<html><body><p>Your <b>order</b> #123 shipped</p></body></html>",
    "--b1",
    'Content-Type: application/octet-stream; name="invoice.pdf"',
    "Content-Transfer-Encoding: base64",
    'Content-Disposition: attachment; filename="invoice.pdf"',
    "",
    Buffer.from("%PDF-1.4 fake").toString("base64"),
    "--b1--",
    "",
  ].join("\r\n"),
);

async function counted<T>(fn: () => Promise<T>): Promise<{ value: T; bytes: number }> {
  proxy.resetCounters();
  const value = await fn();
  return { value, bytes: proxy.bytesFromTarget() };
}

beforeAll(async () => {
  dovecot = await startDovecot();
  const user = await dovecot.createUser("mime");
  const mails: [string, Buffer][] = [
    ["plain", await makeMail({ subject: "plain", text: "hello plain world" })],
    [
      "alternative",
      await makeMail({ subject: "alt", text: "text version", html: "<p>html <i>version</i></p>" }),
    ],
    [
      "pdf",
      await makeMail({
        subject: "invoice",
        text: "see attached",
        attachments: [{ filename: "Rechnung März.pdf", contentType: "application/pdf", content: pdf }],
      }),
    ],
    ["long", await makeMail({ subject: "long", text: "ä".repeat(200_000) })],
    ["latin1", latin1Mail],
    ["htmlOnlyMixed", htmlOnlyMixed],
  ];
  for (const [, raw] of mails) await dovecot.append(user.user, "INBOX", raw);
  proxy = await startTcpProxy({ host: dovecot.host, port: dovecot.port });
  client = new ImapFlow({
    host: "127.0.0.1",
    port: proxy.port,
    secure: false,
    auth: user,
    logger: false,
    doSTARTTLS: false,
  });
  client.on("error", () => {});
  await client.connect();
  const box = await client.mailboxOpen("INBOX");
  uidValidity = Number(box.uidValidity);
  const all = await client.search({ all: true }, { uid: true });
  mails.forEach(([name], i) => {
    uids[name] = (all || [])[i] ?? 0;
  });
});

afterAll(async () => {
  await client?.logout().catch(() => {});
  await proxy?.stop();
  await dovecot?.stop();
});

const textNeeds: ContentNeeds = { ...NO_NEEDS, text: true, attachments: "metadata" };

describe("fetchMessages against Dovecot", () => {
  it("decodes headers, addresses and thread ids like the full parse", async () => {
    const msg = await fetchMessage(client, target(), uids.latin1!, textNeeds, DEFAULT_FETCH_LIMITS);
    expect(msg).not.toBeNull();
    expect(msg!.subject).toBe("Grüße");
    expect(msg!.from).toEqual([{ name: "Jörg Müller", address: "joerg@example.com" }]);
    expect(msg!.to).toEqual([
      { name: "", address: "a@example.com" },
      { name: "B", address: "b@example.com" },
    ]);
    expect(msg!.cc.map((a) => a.address)).toEqual(["c1@example.com", "c2@example.com"]);
    expect(msg!.messageId).toBe("<m1@example.com>");
    expect(msg!.inReplyTo).toBe("<p1@example.com>");
    expect(msg!.references).toEqual(["<root@example.com>", "<p1@example.com>"]);
    expect(msg!.threadKey).toBe("<root@example.com>");
    expect(msg!.date).toBe("2024-10-01T08:00:00.000Z");
    expect(msg!.text?.trim()).toBe("Schöne Grüße aus Köln");
    expect(msg!.html).toBeNull();
    expect(msg!.headers.subject).toEqual(["Grüße"]);
    const full = await parseFullMessage(latin1Mail, { ...target(), uid: uids.latin1! });
    expect({ ...msg!, size: 0, internalDate: null, flags: [], headers: {} }).toEqual({
      ...full,
      size: 0,
      internalDate: null,
      flags: [],
      headers: {},
      text: msg!.text,
    });
  });

  it("reads headers only without any body section", async () => {
    const { value, bytes } = await counted(() =>
      fetchMessages(client, target(), [uids.pdf!], NO_NEEDS, DEFAULT_FETCH_LIMITS),
    );
    const msg = value.get(uids.pdf!)!;
    expect(msg.subject).toBe("invoice");
    expect(msg.text).toBeNull();
    expect(msg.attachments).toHaveLength(1);
    expect(msg.attachments[0]).toMatchObject({
      filename: "Rechnung März.pdf",
      contentType: "application/pdf",
      inline: false,
    });
    expect(msg.attachments[0]!.content).toBeUndefined();
    // A 3 MB attachment, and the whole exchange is a couple of KB.
    expect(msg.size).toBeGreaterThan(4_000_000);
    expect(bytes).toBeLessThan(4_000);
  });

  it("fetches the text part but not the attachment for text needs", async () => {
    const { value, bytes } = await counted(() =>
      fetchMessages(client, target(), [uids.pdf!], textNeeds, DEFAULT_FETCH_LIMITS),
    );
    expect(value.get(uids.pdf!)!.text).toBe("see attached");
    expect(bytes).toBeLessThan(5_000);
  });

  it("downloads attachment content under the cap with its sha256", async () => {
    const needs: ContentNeeds = { ...NO_NEEDS, attachments: "content" };
    const msg = (await fetchMessages(client, target(), [uids.pdf!], needs, DEFAULT_FETCH_LIMITS)).get(
      uids.pdf!,
    )!;
    const att = msg.attachments[0]!;
    expect(att.sha256).toBe(createHash("sha256").update(pdf).digest("hex"));
    expect(Buffer.from(att.content!, "base64").equals(pdf)).toBe(true);
    expect(att.size).toBe(pdf.length);

    const small = { ...DEFAULT_FETCH_LIMITS, attachmentBytes: 1024 * 1024 };
    const { value, bytes } = await counted(() => fetchMessages(client, target(), [uids.pdf!], needs, small));
    const capped = value.get(uids.pdf!)!.attachments[0]!;
    expect(capped.content).toBeUndefined();
    expect(capped.filename).toBe("Rechnung März.pdf");
    expect(bytes).toBeLessThan(5_000);
  });

  it("caps text with a partial fetch and marks it truncated", async () => {
    const limits = { ...DEFAULT_FETCH_LIMITS, textBytes: 10_000 };
    const { value, bytes } = await counted(() =>
      fetchMessages(client, target(), [uids.long!], textNeeds, limits),
    );
    const msg = value.get(uids.long!)!;
    expect(msg.textTruncated).toBe(true);
    expect(Buffer.byteLength(msg.text!)).toBeLessThanOrEqual(10_000);
    expect(Buffer.byteLength(msg.text!)).toBeGreaterThan(9_000);
    expect(msg.text).toMatch(/^ä+$/);
    expect(msg.size).toBeGreaterThan(400_000);
    expect(bytes).toBeLessThan(40_000);
  });

  it("gives HTML-only mail a text (converted) and html only when asked", async () => {
    const needs: ContentNeeds = { ...textNeeds, html: true };
    const msg = (
      await fetchMessages(client, target(), [uids.htmlOnlyMixed!], needs, DEFAULT_FETCH_LIMITS)
    ).get(uids.htmlOnlyMixed!)!;
    expect(msg.text).toBe("Your order #123 shipped");
    expect(msg.html).toContain("<b>order</b>");
    // octet-stream with a .pdf name is reported as application/pdf, as mailparser does.
    expect(msg.attachments).toEqual([
      expect.objectContaining({ partId: "2", filename: "invoice.pdf", contentType: "application/pdf" }),
    ]);
    // Without content the size is estimated from the base64 length (13 real bytes).
    expect(Math.abs(msg.attachments[0]!.size - 13)).toBeLessThanOrEqual(2);
    const alt = (
      await fetchMessages(client, target(), [uids.alternative!], textNeeds, DEFAULT_FETCH_LIMITS)
    ).get(uids.alternative!)!;
    expect(alt.text).toBe("text version");
    expect(alt.html).toBeNull();
  });

  it("batches many UIDs, skips missing ones and never sets \\Seen", async () => {
    const all = Object.values(uids);
    const result = await fetchMessages(client, target(), [...all, 9999], textNeeds, DEFAULT_FETCH_LIMITS);
    expect([...result.keys()].sort((a, b) => a - b)).toEqual([...all].sort((a, b) => a - b));
    expect(result.has(9999)).toBe(false);
    for (const msg of result.values()) expect(msg.flags).not.toContain("\\Seen");
    expect(await fetchMessage(client, target(), 9999, textNeeds, DEFAULT_FETCH_LIMITS)).toBeNull();
  });

  it("returns the raw source only when asked", async () => {
    const msg = (
      await fetchMessages(client, target(), [uids.latin1!], { ...NO_NEEDS, raw: true }, DEFAULT_FETCH_LIMITS)
    ).get(uids.latin1!)!;
    expect(Buffer.from(msg.raw!, "base64").equals(latin1Mail)).toBe(true);
  });
});
