import { describe, expect, it } from "vitest";
import { createSecretBox, generateKeySpec } from "./secret-box.js";

describe("secret box", () => {
  it("seals with the current key and opens what it sealed; ciphertext never contains the secret", () => {
    const box = createSecretBox(generateKeySpec("k1"));
    const sealed = box.seal("imap-password-123");
    expect(sealed.kid).toBe("k1");
    expect(JSON.stringify(sealed)).not.toContain("imap-password-123");
    expect(box.open(sealed)).toBe("imap-password-123");
    // A fresh IV per seal: the same secret never seals to the same bytes.
    expect(box.seal("imap-password-123").ct).not.toBe(sealed.ct);
  });

  it("rolls keys: a box whose current key is new still opens records sealed with the old one", () => {
    const old = generateKeySpec("k1");
    const sealedOld = createSecretBox(old).seal("s3cret");
    const rolled = createSecretBox(`${generateKeySpec("k2")},${old}`);
    expect(rolled.currentKeyId).toBe("k2");
    expect(rolled.open(sealedOld)).toBe("s3cret");
    expect(rolled.seal("x").kid).toBe("k2");
  });

  it("refuses tampered ciphertext, unknown key ids and malformed key specs", () => {
    const box = createSecretBox(generateKeySpec("k1"));
    const sealed = box.seal("s3cret");
    const flipped = Buffer.from(sealed.ct, "base64");
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(() => box.open({ ...sealed, ct: flipped.toString("base64") })).toThrow();
    expect(() => box.open({ ...sealed, kid: "nope" })).toThrow(/unknown key id/);
    expect(() => createSecretBox("")).toThrow(/no encryption key/);
    expect(() => createSecretBox("k1:c2hvcnQ=")).toThrow(/32 bytes/);
    expect(() => createSecretBox("justbase64")).toThrow(/kid:base64key/);
  });
});
