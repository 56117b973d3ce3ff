import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { decodeBody, truncateUtf8 } from "./decode-body.js";

const qp = (s: string) => Buffer.from(s, "latin1");

describe("decodeBody: transfer encodings", () => {
  it("decodes base64 with line breaks and junk, and per-line padding", () => {
    const b64 = Buffer.from("Grüße aus Köln, ".repeat(20)).toString("base64");
    const wrapped = b64.replace(/.{76}/g, "$&\r\n");
    expect(decodeBody(Buffer.from(wrapped), "base64", "utf-8")).toBe("Grüße aus Köln, ".repeat(20));
    expect(decodeBody(Buffer.from("QQ==\r\nQkM=\r\n"), "BASE64", undefined)).toBe("ABC");
    expect(decodeBody(Buffer.from("SGVs!bG8*"), "base64", "us-ascii")).toBe("Hello");
  });

  it("decodes quoted-printable: soft breaks, escapes, trailing blanks, malformed '='", () => {
    expect(
      decodeBody(qp("Gr=C3=BC=C3=9Fe =\r\naus K=C3=B6ln   \r\nline2"), "quoted-printable", "utf-8"),
    ).toBe("Grüße aus Köln\r\nline2");
    expect(decodeBody(qp("a = b =ZZ c=3d"), "Quoted-Printable", "utf-8")).toBe("a = b =ZZ c=");
  });

  it("takes 7bit, 8bit, binary and unknown encodings as they are", () => {
    const bytes = Buffer.from("plain =41 text ü");
    for (const enc of ["7bit", "8bit", "binary", "x-uuencode", "8bits", "", undefined]) {
      expect(decodeBody(bytes, enc, "utf-8")).toBe("plain =41 text ü");
    }
  });

  it("decodes every prefix of a base64 body cleanly when told it is truncated", () => {
    const full = "Ünïcödé text — 日本語 — ".repeat(10);
    const wire = Buffer.from(Buffer.from(full).toString("base64").replace(/.{76}/g, "$&\r\n"));
    for (let cut = 0; cut <= wire.length; cut += 7) {
      const out = decodeBody(wire.subarray(0, cut), "base64", "utf-8", { truncated: true });
      expect(full.startsWith(out)).toBe(true);
      expect(out).not.toContain("\uFFFD");
    }
  });

  it("decodes every prefix of a quoted-printable body cleanly when told it is truncated", () => {
    const full = "Grüße, naïve café — ".repeat(10);
    // Lines of at most 73 characters; an escape is never split by a soft break (RFC 2045).
    const tokens = [...Buffer.from(full)].map((b) =>
      b > 127 || b === 61 ? `=${b.toString(16).toUpperCase().padStart(2, "0")}` : String.fromCharCode(b),
    );
    const lines: string[] = [""];
    for (const t of tokens) {
      if (lines[lines.length - 1]!.length + t.length > 72) lines.push("");
      lines[lines.length - 1] += t;
    }
    const encoded = lines.join("=\r\n");
    const wire = qp(encoded);
    for (let cut = 0; cut <= wire.length; cut++) {
      const out = decodeBody(wire.subarray(0, cut), "quoted-printable", "utf-8", { truncated: true });
      expect(full.startsWith(out)).toBe(true);
      expect(out).not.toMatch(/[=\uFFFD]/);
    }
  });

  it("without the truncated flag keeps an unpadded base64 tail (some encoders omit padding)", () => {
    expect(decodeBody(Buffer.from("QUJDRA"), "base64", "utf-8")).toBe("ABCD");
    expect(decodeBody(Buffer.from("QUJDRA"), "base64", "utf-8", { truncated: true })).toBe("ABC");
  });
});

describe("decodeBody: charsets", () => {
  const cases: [string, string][] = [
    ["iso-8859-1", "Grüße aus Köln"],
    ["ISO-8859-2", "Zażółć gęślą jaźń"],
    ["iso-8859-5", "Привет"],
    ["iso-8859-7", "Καλημέρα"],
    ["iso-8859-15", "Preis: 10 €"],
    ["windows-1250", "Příliš žluťoučký kůň"],
    ["windows-1251", "Здравствуйте"],
    ["windows-1252", "“smart quotes” – dash"],
    ["windows-1255", "שלום"],
    ["koi8-r", "Добрый день"],
    ["big5", "中文測試"],
    ["gb2312", "中文测试"],
    ["gbk", "中文测试"],
    ["euc-kr", "안녕하세요"],
    ["shift_jis", "日本語テキスト"],
  ];
  for (const [charset, text] of cases) {
    it(`decodes ${charset}`, () => {
      const bytes = iconv.encode(text, charset);
      expect(decodeBody(bytes, "8bit", charset)).toBe(text);
      expect(decodeBody(Buffer.from(bytes.toString("base64")), "base64", charset)).toBe(text);
    });
  }

  it("decodes the names mail software really writes: ks_c_5601-1987, latin1, win-1252", () => {
    expect(decodeBody(iconv.encode("안녕하세요", "cp949"), "8bit", "ks_c_5601-1987")).toBe("안녕하세요");
    expect(decodeBody(iconv.encode("Grüße", "latin1"), "8bit", "latin1")).toBe("Grüße");
    expect(decodeBody(iconv.encode("“x”", "windows-1252"), "8bit", "win-1252")).toBe("“x”");
  });

  it("decodes iso-2022-jp (escape sequences, not in iconv-lite)", () => {
    // 日本 in JIS X 0208: ESC $ B 0x467C 0x4B5C ESC ( B
    const bytes = Buffer.from([0x1b, 0x24, 0x42, 0x46, 0x7c, 0x4b, 0x5c, 0x1b, 0x28, 0x42, 0x21]);
    expect(decodeBody(bytes, "7bit", "ISO-2022-JP")).toBe("日本!");
  });

  it("reads ASCII-labelled and unlabelled 8-bit bytes as UTF-8, unknown charsets too", () => {
    const utf8 = Buffer.from("naïve");
    expect(decodeBody(utf8, "8bit", "us-ascii")).toBe("naïve");
    expect(decodeBody(utf8, "8bit", undefined)).toBe("naïve");
    expect(decodeBody(utf8, "8bit", "x-no-such-charset")).toBe("naïve");
  });

  it("drops a multi-byte character cut in half by a partial fetch", () => {
    const bytes = Buffer.from("abc日本");
    expect(decodeBody(bytes.subarray(0, 5), "8bit", "utf-8", { truncated: true })).toBe("abc");
    const big5 = iconv.encode("中文測試", "big5");
    expect(decodeBody(big5.subarray(0, 5), "8bit", "big5", { truncated: true })).toBe("中文");
  });
});

describe("truncateUtf8", () => {
  it("cuts on a character boundary and says whether it cut", () => {
    expect(truncateUtf8("äöü", 10)).toEqual({ text: "äöü", truncated: false });
    expect(truncateUtf8("äöü", 5)).toEqual({ text: "äö", truncated: true });
    expect(truncateUtf8("日本語", 4)).toEqual({ text: "日", truncated: true });
  });
});
