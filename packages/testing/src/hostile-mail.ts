/**
 * Hostile and malformed messages, generated (no fixture files): the shapes that break parsers,
 * IMAP command lines and BODYSTRUCTURE nesting limits. Every message carries its class name in the
 * subject (`[hostile:<name>]`) and a unique Message-ID, so a test can tell which one a webhook is for.
 */

export interface HostileMessage {
  /** Class name, also in the subject as `[hostile:<name>]`. */
  name: string;
  /** What the message is meant to break. */
  breaks: string;
  raw: Buffer;
}

export interface HostileCorpusOptions {
  /** Include the 30 MB message (slow to APPEND on a loaded machine); default true. */
  huge?: boolean;
  /** Scale factor for the big counts (parts, recipients, header size); 1 = the full sizes. */
  scale?: number;
}

const CRLF = "\r\n";

function head(name: string, extra: string[] = []): string {
  return [
    "From: Hostile <hostile@example.test>",
    "To: Catch All <rcpt@example.test>",
    `Subject: [hostile:${name}] ${name}`,
    `Message-ID: <${name}.${Math.random().toString(36).slice(2)}@hostile.example.test>`,
    "Date: Tue, 01 Dec 2026 12:00:00 +0000",
    "MIME-Version: 1.0",
    ...extra,
  ].join(CRLF);
}

function msg(name: string, breaks: string, headers: string[], body: string | Buffer): HostileMessage {
  const top = Buffer.from(`${head(name, headers)}${CRLF}${CRLF}`, "latin1");
  const rest = typeof body === "string" ? Buffer.from(body, "latin1") : body;
  return { name, breaks, raw: Buffer.concat([top, rest]) };
}

/** A header field folded over lines of ~76 characters, `bytes` long in total. */
function foldedField(field: string, bytes: number): string {
  const lines = [`${field}: start`];
  let size = lines[0]!.length;
  let i = 0;
  while (size < bytes) {
    const line = ` ${"x".repeat(60)}${(i++).toString(36).padStart(8, "0")}`;
    lines.push(line);
    size += line.length + 2;
  }
  return lines.join(CRLF);
}

function nestedMultipart(depth: number): string {
  let inner = `Content-Type: text/plain; charset=utf-8${CRLF}${CRLF}deep text at ${depth}${CRLF}`;
  for (let d = depth - 1; d >= 0; d--) {
    const b = `b${d}`;
    inner = `Content-Type: multipart/mixed; boundary="${b}"${CRLF}${CRLF}--${b}${CRLF}${inner}--${b}--${CRLF}`;
  }
  return inner;
}

function nestedRfc822(depth: number): string {
  let inner = `Subject: innermost${CRLF}Content-Type: text/plain${CRLF}${CRLF}innermost text${CRLF}`;
  for (let d = depth - 1; d >= 1; d--) {
    inner = `Subject: level ${d}${CRLF}Content-Type: message/rfc822${CRLF}${CRLF}${inner}`;
  }
  return inner;
}

function manyParts(parts: number): string {
  const b = "many-parts-boundary";
  const out = [`--${b}${CRLF}Content-Type: text/plain${CRLF}${CRLF}the first part is the text${CRLF}`];
  for (let i = 1; i < parts; i++) {
    out.push(
      `--${b}${CRLF}Content-Type: application/octet-stream${CRLF}Content-Disposition: attachment; filename="p${i}.bin"${CRLF}${CRLF}part ${i}${CRLF}`,
    );
  }
  out.push(`--${b}--${CRLF}`);
  return out.join("");
}

function twoParts(boundary: string, close = true): string {
  return [
    `--${boundary}`,
    "Content-Type: text/plain; charset=utf-8",
    "",
    "first part text",
    `--${boundary}`,
    'Content-Type: application/pdf; name="a.pdf"',
    'Content-Disposition: attachment; filename="a.pdf"',
    "Content-Transfer-Encoding: base64",
    "",
    "JVBERi0xLjQK",
    close ? `--${boundary}--` : "",
    "",
  ].join(CRLF);
}

/**
 * The hostile corpus: one message per class. Sizes are the full ones of issue 10 at `scale` 1.
 *
 * @example
 * for (const m of hostileCorpus({ huge: false })) await dovecot.append(user.user, "INBOX", m.raw);
 */
export function hostileCorpus(opts: HostileCorpusOptions = {}): HostileMessage[] {
  const scale = opts.scale ?? 1;
  const n = (full: number) => Math.max(2, Math.round(full * scale));
  const text = ["Content-Type: text/plain; charset=utf-8"];
  const out: HostileMessage[] = [
    msg(
      "huge-header",
      "2 MB header field (mailparser: Max header size)",
      [foldedField("X-Junk", n(2_000_000))],
      "body after a 2 MB header\r\n",
    ),
    msg(
      "many-recipients",
      "10,000 addresses in Cc",
      [...text, `Cc: ${Array.from({ length: n(10_000) }, (_, i) => `r${i}@example.test`).join(`,${CRLF} `)}`],
      "many recipients\r\n",
    ),
    msg(
      "deep-multipart",
      "multipart nested 500 deep (BODYSTRUCTURE nesting limit)",
      [],
      nestedMultipart(n(500)),
    ),
    msg(
      "deep-rfc822",
      "message/rfc822 nested 50 deep",
      ["Content-Type: message/rfc822"],
      nestedRfc822(n(50)),
    ),
    msg(
      "deeper-rfc822",
      "message/rfc822 nested 100 deep: imapflow drops the BODYSTRUCTURE (nesting limit)",
      ["Content-Type: message/rfc822"],
      nestedRfc822(n(100)),
    ),
    msg(
      "many-parts",
      "5,000 parts (one FETCH of 5,001 sections is too long a command line)",
      ['Content-Type: multipart/mixed; boundary="many-parts-boundary"'],
      manyParts(n(5_000)),
    ),
    msg(
      "broken-boundary",
      "declared boundary never appears",
      ['Content-Type: multipart/mixed; boundary="nope"'],
      twoParts("other"),
    ),
    msg(
      "unclosed-boundary",
      "no closing delimiter",
      ['Content-Type: multipart/mixed; boundary="open"'],
      twoParts("open", false),
    ),
    msg("empty-boundary", 'boundary=""', ['Content-Type: multipart/mixed; boundary=""'], twoParts("")),
    msg(
      "rfc2231-boundary",
      "boundary only as RFC 2231 boundary*=",
      ["Content-Type: multipart/mixed; boundary*=utf-8''rfc2231b"],
      twoParts("rfc2231b"),
    ),
    msg(
      "bad-charset",
      "unknown charset label",
      ["Content-Type: text/plain; charset=x-no-such-charset"],
      "caf\xe9 au lait\r\n",
    ),
    msg(
      "invalid-utf8",
      "bytes that are not UTF-8 under charset=utf-8",
      text,
      Buffer.from([0x61, 0xff, 0xfe, 0xc3, 0x28, 0x62, 13, 10]),
    ),
    msg("nul-bytes", "NUL bytes in the body", text, Buffer.from("before\0\0after\0end\r\n", "latin1")),
    msg(
      "duplicate-disposition",
      "two Content-Disposition headers on one part",
      ['Content-Type: multipart/mixed; boundary="dd"'],
      [
        "--dd",
        "Content-Type: text/plain",
        "",
        "text",
        "--dd",
        "Content-Type: application/pdf",
        'Content-Disposition: inline; filename="one.pdf"',
        'Content-Disposition: attachment; filename="two.pdf"',
        "",
        "%PDF",
        "--dd--",
        "",
      ].join(CRLF),
    ),
    msg(
      "empty-subtype",
      "Content-Type: text/ and application/",
      ['Content-Type: multipart/mixed; boundary="es"'],
      [
        "--es",
        "Content-Type: text/",
        "",
        "text with empty subtype",
        "--es",
        "Content-Type: application/",
        "",
        "blob",
        "--es--",
        "",
      ].join(CRLF),
    ),
    msg(
      "digest",
      "multipart/digest (default part type message/rfc822)",
      ['Content-Type: multipart/digest; boundary="dg"'],
      [
        "--dg",
        "",
        "Subject: one",
        "",
        "digest one",
        "--dg",
        "",
        "Subject: two",
        "",
        "digest two",
        "--dg--",
        "",
      ].join(CRLF),
    ),
    msg("no-body", "headers and no empty line", [], Buffer.alloc(0)),
    msg("long-line", "a 1 MB line without CRLF", text, `${"y".repeat(n(1_000_000))}\r\n`),
    msg(
      "encoded-word-storm",
      "thousands of encoded words in Subject-like headers",
      [...text, `X-Words: ${Array.from({ length: n(5_000) }, () => "=?utf-8?B?w6Q=?=").join(" ")}`],
      "words\r\n",
    ),
    msg(
      "bad-base64",
      "invalid base64 and QP bodies",
      ['Content-Type: multipart/mixed; boundary="bb"'],
      [
        "--bb",
        "Content-Type: text/plain",
        "Content-Transfer-Encoding: base64",
        "",
        "!!!not base64@@@",
        "--bb",
        "Content-Type: text/plain",
        "Content-Transfer-Encoding: quoted-printable",
        "",
        "=ZZ=4=\r\nend",
        "--bb--",
        "",
      ].join(CRLF),
    ),
    msg(
      "raw-8bit-header",
      "raw UTF-8 and Latin-1 bytes in headers",
      ["X-Raw: caf\xc3\xa9 na\xefve", ...text],
      "8bit\r\n",
    ),
  ];
  if (opts.huge ?? true) {
    const b = "huge-b";
    const blob = Buffer.alloc(30 * 1024 * 1024, "QUFBQUFBQUFB\r\n").toString("latin1");
    out.push(
      msg(
        "huge-30mb",
        "30 MB attachment",
        [`Content-Type: multipart/mixed; boundary="${b}"`],
        `--${b}${CRLF}Content-Type: text/plain${CRLF}${CRLF}small text${CRLF}--${b}${CRLF}Content-Type: application/octet-stream${CRLF}Content-Transfer-Encoding: base64${CRLF}Content-Disposition: attachment; filename="big.bin"${CRLF}${CRLF}${blob}${CRLF}--${b}--${CRLF}`,
      ),
    );
  }
  return out;
}
