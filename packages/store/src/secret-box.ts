import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { z } from "zod";

/** An encrypted secret as stored in Redis: AES-256-GCM, with the id of the key that sealed it. */
export const Sealed = z.object({ kid: z.string(), iv: z.string(), tag: z.string(), ct: z.string() });
export type Sealed = z.infer<typeof Sealed>;

export interface SecretBox {
  seal(plain: string): Sealed;
  open(sealed: Sealed): string;
  /** Id of the key new secrets are sealed with; records sealed with another key can be re-sealed. */
  readonly currentKeyId: string;
}

/**
 * Builds a SecretBox from `MAILHOOK_ENCRYPTION_KEYS`: comma-separated `kid:base64key` entries, the
 * first one current. Older keys stay listed while records are re-encrypted, which is how a key is
 * rolled without downtime. Each key must decode to 32 bytes.
 */
export function createSecretBox(spec: string): SecretBox {
  const keys = new Map<string, Buffer>();
  let current: string | undefined;
  for (const entry of spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const idx = entry.indexOf(":");
    if (idx <= 0) throw new Error("encryption key entries must look like kid:base64key");
    const kid = entry.slice(0, idx);
    const key = Buffer.from(entry.slice(idx + 1), "base64");
    if (key.length !== 32) throw new Error(`encryption key ${kid} must be 32 bytes of base64`);
    keys.set(kid, key);
    current ??= kid;
  }
  if (current === undefined) throw new Error("no encryption key configured");
  const currentKeyId = current;
  return {
    currentKeyId,
    seal(plain) {
      const key = keys.get(currentKeyId)!;
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const ct = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return {
        kid: currentKeyId,
        iv: iv.toString("base64"),
        tag: cipher.getAuthTag().toString("base64"),
        ct: ct.toString("base64"),
      };
    },
    open(sealed) {
      const key = keys.get(sealed.kid);
      if (!key) throw new Error(`secret sealed with unknown key id ${sealed.kid}`);
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(sealed.iv, "base64"));
      decipher.setAuthTag(Buffer.from(sealed.tag, "base64"));
      return Buffer.concat([decipher.update(Buffer.from(sealed.ct, "base64")), decipher.final()]).toString(
        "utf8",
      );
    },
  };
}

/** A fresh key entry for `MAILHOOK_ENCRYPTION_KEYS`. */
export function generateKeySpec(kid = `k${Date.now().toString(36)}`): string {
  return `${kid}:${randomBytes(32).toString("base64")}`;
}
