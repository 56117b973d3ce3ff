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

// A deep tree as real mail builds it: mixed > alternative > related with an inline image, a
// forwarded message/rfc822 with its own attachment, an RFC 2231 file name on octet-stream, a
// KOI8-R footer part, ISO-2022-JP encoded words, flowed quoted-printable text.
const deepMail = Buffer.concat([
  Buffer.from(
    [
      "From: =?ISO-2022-JP?B?GyRCRnxLXBsoQg==?= <JP@Example.JP>",
      "To: team@example.com",
      "Subject: =?ISO-2022-JP?B?GyRCRnxLXBsoQg==?=",
      "Message-ID: <deep@example.com>",
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="outer"',
      "",
      "--outer",
      'Content-Type: multipart/alternative; boundary="alt"',
      "",
      "--alt",
      "Content-Type: text/plain; charset=utf-8; format=flowed",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      "Gr=C3=BC=C3=9Fe aus einem sehr langen=20",
      "Satz.",
      "--alt",
      'Content-Type: multipart/related; boundary="rel"',
      "",
      "--rel",
      "Content-Type: text/html; charset=utf-8",
      "",
      '<p>Hallo <img src="cid:logo@x"></p>',
      "--rel",
      "Content-Type: image/png",
      "Content-Transfer-Encoding: base64",
      "Content-ID: <logo@x>",
      "",
      "iVBORw0KGgo=",
      "--rel--",
      "--alt--",
      "--outer",
      "Content-Type: message/rfc822",
      "Content-Disposition: attachment",
      "",
      "From: other@example.com",
      "Subject: forwarded",
      'Content-Type: multipart/mixed; boundary="in"',
      "",
      "--in",
      "Content-Type: text/plain",
      "",
      "inner text must not leak",
      "--in",
      'Content-Type: application/pdf; name="inner.pdf"',
      "Content-Transfer-Encoding: base64",
      "",
      "JVBERi0=",
      "--in--",
      "--outer",
      "Content-Type: application/octet-stream",
      "Content-Disposition: attachment; filename*=utf-8''%E2%82%AC%20Rechnung.pdf",
      "Content-Transfer-Encoding: base64",
      "",
      "JVBERi0xLjQ=",
      "--outer",
      "Content-Type: text/plain; charset=koi8-r",
      "Content-Transfer-Encoding: 8bit",
      "",
      "",
    ].join("\r\n"),
  ),
  Buffer.from([0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4]), // "Привет" in KOI8-R
  Buffer.from("\r\n--outer--\r\n"),
]);

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
    ["deep", deepMail],
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

  it("walks a deep real tree: part numbers, inline image, forwarded message, RFC 2231, charsets", async () => {
    const needs: ContentNeeds = { ...NO_NEEDS, text: true, html: true, attachments: "content" };
    const msg = (await fetchMessages(client, target(), [uids.deep!], needs, DEFAULT_FETCH_LIMITS)).get(
      uids.deep!,
    )!;
    expect(msg.subject).toBe("日本");
    expect(msg.from).toEqual([{ name: "日本", address: "jp@example.jp" }]);
    expect(msg.text).toBe("Grüße aus einem sehr langen Satz.\nПривет");
    expect(msg.text).not.toContain("inner text");
    expect(msg.html).toBe('<p>Hallo <img src="cid:logo@x"></p>');
    expect(msg.attachments.map((a) => [a.partId, a.filename, a.contentType, a.inline, a.contentId])).toEqual([
      ["1.2.2", null, "image/png", true, "<logo@x>"],
      ["2", null, "message/rfc822", false, null],
      ["3", "€ Rechnung.pdf", "application/pdf", false, null],
    ]);
    expect(Buffer.from(msg.attachments[2]!.content!, "base64").toString()).toBe("%PDF-1.4");
    // The forwarded message is one attachment: its bytes are the whole embedded message.
    expect(Buffer.from(msg.attachments[1]!.content!, "base64").toString()).toContain("inner.pdf");

    const full = await parseFullMessage(deepMail, { ...target(), uid: uids.deep! });
    expect(msg.text).toBe(full.text);
    expect(msg.attachments.map((a) => [a.partId, a.filename, a.contentType])).toEqual(
      full.attachments.map((a) => [a.partId, a.filename, a.contentType]),
    );
    // Leaf parts are byte-identical to mailparser's; an embedded message is not quite: Dovecot
    // counts the CRLF before the outer boundary into it (docs/fetch-planner.md).
    expect(msg.attachments[0]!.sha256).toBe(full.attachments[0]!.sha256);
    expect(msg.attachments[2]!.sha256).toBe(full.attachments[2]!.sha256);
    expect(Buffer.from(msg.attachments[1]!.content!, "base64").toString()).toMatch(/--in--\r\n$/);
  });

  it("batches many UIDs, skips missing ones and never sets \\Seen", async () => {
    const all = Object.values(uids);
    const result = await fetchMessages(client, target(), [...all, 9999], textNeeds, DEFAULT_FETCH_LIMITS);
    expect([...result.keys()].sort((a, b) => a - b)).toEqual([...all].sort((a, b) => a - b));
    expect(result.has(9999)).toBe(false);
    expect(await fetchMessage(client, target(), 9999, textNeeds, DEFAULT_FETCH_LIMITS)).toBeNull();
    // Body sections were read with every need above; flags read afterwards show none set \Seen.
    await fetchMessages(
      client,
      target(),
      all,
      { ...textNeeds, html: true, attachments: "content", raw: true },
      DEFAULT_FETCH_LIMITS,
    );
    for await (const m of client.fetch(all.join(","), { uid: true, flags: true }, { uid: true })) {
      expect([...(m.flags ?? [])]).not.toContain("\\Seen");
    }
    // …and the same read would show it if it were set.
    await client.messageFlagsAdd(String(all[0]), ["\\Seen"], { uid: true });
    const seen = await client.fetchOne(String(all[0]), { uid: true, flags: true }, { uid: true });
    expect(seen && [...(seen.flags ?? [])]).toContain("\\Seen");
    await client.messageFlagsRemove(String(all[0]), ["\\Seen"], { uid: true });
  });

  it("fetches extra named headers, or the whole header block when asked", async () => {
    const named = (
      await fetchMessages(
        client,
        target(),
        [uids.latin1!],
        { ...NO_NEEDS, headers: ["MIME-Version"] },
        DEFAULT_FETCH_LIMITS,
      )
    ).get(uids.latin1!)!;
    expect(named.headers["mime-version"]).toEqual(["1.0"]);
    expect(named.headers["content-type"]).toBeUndefined();
    expect(Object.keys(named.headers).sort()).toEqual(
      [
        "date",
        "subject",
        "from",
        "to",
        "cc",
        "message-id",
        "in-reply-to",
        "references",
        "mime-version",
      ].sort(),
    );
    const all = (
      await fetchMessages(
        client,
        target(),
        [uids.latin1!],
        { ...NO_NEEDS, headers: "all" },
        DEFAULT_FETCH_LIMITS,
      )
    ).get(uids.latin1!)!;
    expect(all.headers["content-transfer-encoding"]).toEqual(["quoted-printable"]);
    expect(all.subject).toBe("Grüße");
  });

  it("returns the raw source only when asked", async () => {
    const msg = (
      await fetchMessages(client, target(), [uids.latin1!], { ...NO_NEEDS, raw: true }, DEFAULT_FETCH_LIMITS)
    ).get(uids.latin1!)!;
    expect(Buffer.from(msg.raw!, "base64").equals(latin1Mail)).toBe(true);
  });
});
