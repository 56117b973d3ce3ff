import libcharset from "libmime/lib/charset.js";

/** Options for {@link decodeBody}. */
export interface DecodeBodyOptions {
  /**
   * The bytes are a prefix of the part (an IMAP partial fetch cut them off). A dangling base64
   * quantum, a split `=XX` escape and a split multi-byte character at the end are dropped instead
   * of being decoded into garbage.
   */
  truncated?: boolean;
}

// Charsets whose bytes are read as UTF-8 as they are. mailparser does the same (an undeclared
// charset is UTF-8, and 8-bit bytes in a part labelled us-ascii are read as UTF-8), and agreeing
// with it is what the corpus comparison measures.
const UTF8_LIKE = new Set(["ascii", "usascii", "utf8", "7bit", "8bit"]);

/**
 * Removes the transfer encoding and converts the charset to a JS string.
 *
 * Transfer encodings: base64, quoted-printable; 7bit/8bit/binary and anything unknown are taken
 * as is (servers report odd values such as `x-uuencode` or `8bits`; mailparser also passes those
 * through). Charsets go through libmime, which wraps iconv-lite and adds the Japanese ones
 * (iso-2022-jp) and the usual misspellings (ks_c_5601-1987, win-1252, latin1…). Unknown charsets
 * decode as UTF-8 with replacement characters rather than throwing.
 *
 * @example
 * decodeBody(Buffer.from("Gr=FC=DFe"), "quoted-printable", "iso-8859-1") // "Grüße"
 */
export function decodeBody(
  bytes: Buffer,
  encoding: string | undefined,
  charset: string | undefined,
  options: DecodeBodyOptions = {},
): string {
  const truncated = options.truncated === true;
  const decoded = decodeTransfer(bytes, encoding, truncated);
  let text = decodeCharset(decoded, charset);
  if (truncated) {
    // A multi-byte character cut in half decodes to U+FFFD at the very end: drop it.
    text = text.replace(/\uFFFD+$/, "");
  }
  return text;
}

/** Removes a Content-Transfer-Encoding; unknown encodings are returned unchanged. */
export function decodeTransfer(bytes: Buffer, encoding: string | undefined, truncated = false): Buffer {
  switch ((encoding ?? "").trim().toLowerCase()) {
    case "base64":
      return decodeBase64(bytes, truncated);
    case "quoted-printable":
      return decodeQuotedPrintable(bytes, truncated);
    default:
      return bytes;
  }
}

/** Converts bytes in `charset` to a string; missing, ASCII and UTF-8 charsets read as UTF-8. */
export function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  const name = (charset ?? "").toLowerCase().replace(/[^a-z0-9]+/g, "");
  if (!name || UTF8_LIKE.has(name)) {
    return bytes.toString("utf8");
  }
  try {
    return libcharset.decode(bytes, charset);
  } catch {
    return bytes.toString("utf8");
  }
}

/**
 * Base64 as mail clients write it: line breaks and junk characters skipped, and each padded
 * segment decoded on its own (some encoders pad every line; Buffer.from stops at the first `=`).
 */
function decodeBase64(bytes: Buffer, truncated: boolean): Buffer {
  let b64 = bytes.toString("latin1").replace(/[^A-Za-z0-9+/=]+/g, "");
  if (truncated) {
    // Only the unpadded tail can be incomplete; keep whole 4-character quanta of it.
    const lastPad = b64.lastIndexOf("=");
    const tail = b64.length - (lastPad + 1);
    b64 = b64.slice(0, b64.length - (tail % 4));
  }
  const chunks: Buffer[] = [];
  const segment = /[^=]*=+|[^=]+/g;
  for (let m = segment.exec(b64); m; m = segment.exec(b64)) {
    chunks.push(Buffer.from(m[0], "base64"));
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
  if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
  return -1;
}

/**
 * Quoted-printable the way libqp (mailparser's decoder) reads it: trailing blanks on a line are
 * transport padding, `=` before a line break is a soft break, `=XX` is a byte, and a malformed
 * `=` is kept literally.
 */
function decodeQuotedPrintable(bytes: Buffer, truncated: boolean): Buffer {
  let input = bytes
    .toString("latin1")
    .replace(/(^|[^ \t])[ \t]+(?=[\n\r]|$)/g, "$1")
    .replace(/=(?:\r?\n|$)/g, "");
  if (truncated) {
    // A cut inside an escape leaves "=" or "=X" at the end: not data, just half of one byte.
    input = input.replace(/=\r$/, "").replace(/=[0-9A-Fa-f]?$/, "");
  }
  const out = Buffer.allocUnsafe(input.length);
  let pos = 0;
  const len = input.length;
  for (let i = 0; i < len; i++) {
    const code = input.charCodeAt(i);
    if (code === 0x3d && i < len - 2) {
      const hi = hexValue(input.charCodeAt(i + 1));
      const lo = hexValue(input.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        out[pos++] = hi * 16 + lo;
        i += 2;
        continue;
      }
    }
    out[pos++] = code;
  }
  return out.subarray(0, pos);
}

/** Cuts a string to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): { text: string; truncated: boolean } {
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text) <= maxBytes) {
    return { text, truncated: false };
  }
  const cut = Buffer.from(text).subarray(0, Math.max(0, maxBytes)).toString("utf8");
  return { text: cut.replace(/\uFFFD$/, ""), truncated: true };
}
