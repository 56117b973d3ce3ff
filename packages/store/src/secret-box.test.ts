import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createSecretBox, generateKeySpec, type SecretContext } from "./secret-box.js";

const ctx: SecretContext = { kind: "mailbox.password", tenantId: "acme", id: "mbx_1" };

/** A value as mailhook sealed it before associated data: no `v`, no AAD. */
function sealLegacy(spec: string, plain: string, tagBytes = 16) {
  const [kid, b64] = spec.split(":") as [string, string];
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", Buffer.from(b64, "base64"), iv, { authTagLength: tagBytes });
  const ct = Buffer.concat([c.update(plain, "utf8"), c.final()]);
  return {
    kid,
    iv: iv.toString("base64"),
    tag: c.getAuthTag().toString("base64"),
    ct: ct.toString("base64"),
  };
}

describe("secret box", () => {
  it("seals with the current key and opens what it sealed; ciphertext never contains the secret", () => {
    const box = createSecretBox(generateKeySpec("k1"));
    const sealed = box.seal("imap-password-123", ctx);
    expect(sealed).toMatchObject({ v: 2, kid: "k1" });
    expect(Buffer.from(sealed.tag, "base64")).toHaveLength(16);
    expect(JSON.stringify(sealed)).not.toContain("imap-password-123");
    expect(box.open(sealed, ctx)).toBe("imap-password-123");
    // A fresh IV per seal: the same secret never seals to the same bytes.
    expect(box.seal("imap-password-123", ctx).ct).not.toBe(sealed.ct);
  });

  it("binds a value to its tenant, kind and record: moved to another one it does not open", () => {
    const box = createSecretBox(generateKeySpec("k1"));
    const sealed = box.seal("s3cret", ctx);
    expect(() => box.open(sealed, { ...ctx, tenantId: "evil" })).toThrow();
    expect(() => box.open(sealed, { ...ctx, id: "mbx_2" })).toThrow();
    expect(() => box.open(sealed, { ...ctx, kind: "endpoint.secret" })).toThrow();
    // Dropping the version marker (to have it opened without associated data) fails as well.
    const { v: _v, ...unversioned } = sealed;
    expect(() => box.open(unversioned, ctx)).toThrow();
  });

  it("migration: values sealed in the old format (no associated data) still open and count as stale", () => {
    const spec = generateKeySpec("k1");
    const box = createSecretBox(spec);
    const legacy = sealLegacy(spec, "old-format-password");
    expect(box.open(legacy, ctx)).toBe("old-format-password");
    expect(box.isStale(legacy)).toBe(true);
    expect(box.isStale(box.seal("x", ctx))).toBe(false);
  });

  it("refuses GCM tags shorter than 16 bytes, even when they verify", () => {
    const spec = generateKeySpec("k1");
    const box = createSecretBox(spec);
    for (const bytes of [4, 8, 12]) {
      expect(() => box.open(sealLegacy(spec, "s3cret", bytes), ctx)).toThrow(/16 required/);
    }
    const sealed = box.seal("s3cret", ctx);
    const short = Buffer.from(sealed.tag, "base64").subarray(0, 4).toString("base64");
    expect(() => box.open({ ...sealed, tag: short }, ctx)).toThrow(/16 required/);
  });

  it("rolls keys: a box whose current key is new still opens records sealed with the old one", () => {
    const old = generateKeySpec("k1");
    const sealedOld = createSecretBox(old).seal("s3cret", ctx);
    const rolled = createSecretBox(`${generateKeySpec("k2")},${old}`);
    expect(rolled.currentKeyId).toBe("k2");
    expect(rolled.open(sealedOld, ctx)).toBe("s3cret");
    expect(rolled.isStale(sealedOld)).toBe(true);
    expect(rolled.seal("x", ctx).kid).toBe("k2");
  });

  it("fingerprints are keyed: not a plain hash, checkable while the key is listed, unknown after", () => {
    const k1 = generateKeySpec("k1");
    const box = createSecretBox(k1);
    const body = '{"password":"hunter2"}';
    const fp = box.fingerprint(body);
    expect(fp).toMatch(/^k1\.[0-9a-f]{64}$/);
    expect(fp).not.toContain(createHash("sha256").update(body).digest("hex"));
    expect(createSecretBox(generateKeySpec("k1")).fingerprint(body)).not.toBe(fp);
    expect(box.matchesFingerprint(fp, body)).toBe(true);
    expect(box.matchesFingerprint(fp, '{"password":"hunter3"}')).toBe(false);
    expect(createSecretBox(`${generateKeySpec("k2")},${k1}`).matchesFingerprint(fp, body)).toBe(true);
    expect(createSecretBox(generateKeySpec("k2")).matchesFingerprint(fp, body)).toBeNull();
    expect(box.matchesFingerprint(createHash("sha256").update(body).digest("hex"), body)).toBeNull();
  });

  it("refuses tampered ciphertext, unknown key ids and malformed key specs", () => {
    const box = createSecretBox(generateKeySpec("k1"));
    const sealed = box.seal("s3cret", ctx);
    const flipped = Buffer.from(sealed.ct, "base64");
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(() => box.open({ ...sealed, ct: flipped.toString("base64") }, ctx)).toThrow();
    expect(() => box.open({ ...sealed, kid: "nope" }, ctx)).toThrow(/unknown key id/);
    expect(() => createSecretBox("")).toThrow(/no encryption key/);
    expect(() => createSecretBox("k1:c2hvcnQ=")).toThrow(/32 bytes/);
    expect(() => createSecretBox("justbase64")).toThrow(/kid:base64key/);
  });
});
