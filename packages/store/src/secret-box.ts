import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";
import { z } from "zod";

/**
 * An encrypted secret as stored in Redis: AES-256-GCM, with the id of the key that sealed it.
 * `v: 2` values are bound to the record they belong to (associated data, see `secretContext`);
 * values without `v` were sealed before that and are opened without associated data until
 * `resealSecrets` (or the record's next write) rewrites them.
 */
export const Sealed = z.object({
  v: z.literal(2).optional(),
  kid: z.string(),
  iv: z.string(),
  tag: z.string(),
  ct: z.string(),
});
export type Sealed = z.infer<typeof Sealed>;

/** What a sealed value is: `kind` of secret, owning tenant, record id. Becomes the GCM associated data. */
export interface SecretContext {
  kind:
    | "mailbox.password"
    | "endpoint.secret"
    | "endpoint.headers"
    | "oauth.client-secret"
    | "oauth.refresh-token"
    | "idempotency.response";
  tenantId: string;
  id: string;
}

/** Tags shorter than 16 bytes weaken GCM's forgery bound; mailhook writes and accepts 16 only. */
const TAG_BYTES = 16;
const IV_BYTES = 12;

export interface SecretBox {
  /** Seals `plain` bound to `ctx`: it opens only with the same context (no swapping between records). */
  seal(plain: string, ctx: SecretContext): Sealed;
  open(sealed: Sealed, ctx: SecretContext): string;
  /** True when the value is not in the current format under the current key (reseal rewrites it). */
  isStale(sealed: Sealed): boolean;
  /**
   * A keyed fingerprint (HMAC-SHA256 under a key derived from the current encryption key) of
   * `data`, as `kid.hex`. A fingerprint of a request body in Redis gives a dictionary attack
   * nothing without the key.
   */
  fingerprint(data: string): string;
  /**
   * Whether `fp` is the fingerprint of `data`, compared in constant time. `null` when the key it
   * was made with is no longer listed: the fingerprint can no longer be checked at all.
   */
  matchesFingerprint(fp: string, data: string): boolean | null;
  /** Id of the key new secrets are sealed with; records sealed with another key can be re-sealed. */
  readonly currentKeyId: string;
}

const aadOf = (ctx: SecretContext) =>
  Buffer.from(`mailhook/v2/${ctx.kind}/${ctx.tenantId}/${ctx.id}`, "utf8");

/**
 * Builds a SecretBox from `MAILHOOK_ENCRYPTION_KEYS`: comma-separated `kid:base64key` entries, the
 * first one current. Older keys stay listed while records are re-encrypted, which is how a key is
 * rolled without downtime. Each key must decode to 32 bytes.
 */
export function createSecretBox(spec: string): SecretBox {
  const keys = new Map<string, Buffer>();
  const macKeys = new Map<string, Buffer>();
  let current: string | undefined;
  for (const entry of spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const idx = entry.indexOf(":");
    if (idx <= 0) throw new Error("encryption key entries must look like kid:base64key");
    const kid = entry.slice(0, idx);
    if (kid.includes(".")) throw new Error(`encryption key id ${kid} must not contain "."`);
    const key = Buffer.from(entry.slice(idx + 1), "base64");
    if (key.length !== 32) throw new Error(`encryption key ${kid} must be 32 bytes of base64`);
    keys.set(kid, key);
    // A separate key for fingerprints, so the encryption key itself is never used for two purposes.
    macKeys.set(kid, Buffer.from(hkdfSync("sha256", key, "", "mailhook fingerprint v1", 32)));
    current ??= kid;
  }
  if (current === undefined) throw new Error("no encryption key configured");
  const currentKeyId = current;
  const mac = (kid: string, data: string) =>
    createHmac("sha256", macKeys.get(kid)!).update(data, "utf8").digest();
  return {
    currentKeyId,
    seal(plain, ctx) {
      const key = keys.get(currentKeyId)!;
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(aadOf(ctx));
      const ct = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return {
        v: 2,
        kid: currentKeyId,
        iv: iv.toString("base64"),
        tag: cipher.getAuthTag().toString("base64"),
        ct: ct.toString("base64"),
      };
    },
    open(sealed, ctx) {
      const key = keys.get(sealed.kid);
      if (!key) throw new Error(`secret sealed with unknown key id ${sealed.kid}`);
      const tag = Buffer.from(sealed.tag, "base64");
      // Node would accept a 4-byte tag and check only those bytes: a forger's 2^32 tries.
      if (tag.length !== TAG_BYTES)
        throw new Error(`sealed secret has a ${tag.length}-byte tag; 16 required`);
      const iv = Buffer.from(sealed.iv, "base64");
      if (iv.length !== IV_BYTES) throw new Error("sealed secret has a malformed iv");
      const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
      if (sealed.v === 2) decipher.setAAD(aadOf(ctx));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(sealed.ct, "base64")), decipher.final()]).toString(
        "utf8",
      );
    },
    isStale(sealed) {
      return sealed.v !== 2 || sealed.kid !== currentKeyId;
    },
    fingerprint(data) {
      return `${currentKeyId}.${mac(currentKeyId, data).toString("hex")}`;
    },
    matchesFingerprint(fp, data) {
      const dot = fp.indexOf(".");
      const kid = dot > 0 ? fp.slice(0, dot) : "";
      if (!macKeys.has(kid)) return null;
      const given = Buffer.from(fp.slice(dot + 1), "hex");
      const want = mac(kid, data);
      return given.length === want.length && timingSafeEqual(given, want);
    },
  };
}

/** A fresh key entry for `MAILHOOK_ENCRYPTION_KEYS`. */
export function generateKeySpec(kid = `k${Date.now().toString(36)}`): string {
  return `${kid}:${randomBytes(32).toString("base64")}`;
}
