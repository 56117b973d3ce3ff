import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseEnv } from "./env.js";
import { tokenStrength } from "./token-strength.js";

describe("admin token strength", () => {
  it("accepts generated tokens of every usual shape, every time", () => {
    for (let i = 0; i < 2000; i++) {
      for (const t of [
        randomBytes(32).toString("base64url"),
        randomBytes(32).toString("base64"),
        randomBytes(16).toString("hex"),
        randomBytes(32).toString("hex"),
        `admin-${randomUUID()}-${randomUUID()}`,
      ]) {
        expect(tokenStrength(t).ok, t).toBe(true);
      }
    }
  });

  it("refuses the long-but-guessable tokens people type", () => {
    for (const t of [
      "a".repeat(32),
      "abcdefghijklmnopqrstuvwxyzABCDEF",
      "0123456789012345678901234567890123456789",
      "passwordpasswordpasswordpassword",
      "Tr0ub4dor&3Tr0ub4dor&3Tr0ub4dor&3",
      "qwertyuiopqwertyuiopqwertyuiopqwerty",
      "changeme-changeme-changeme-changeme",
      "13579135791357913579135791357913",
    ]) {
      expect(tokenStrength(t).ok, t).toBe(false);
    }
  });

  it("the environment check refuses a weak MAILHOOK_ADMIN_TOKEN with a message that names the fix, never the value", () => {
    const base = { MAILHOOK_ENCRYPTION_KEYS: "k1:x" };
    const weak = "a".repeat(40);
    let message = "";
    try {
      parseEnv({ ...base, MAILHOOK_ADMIN_TOKEN: weak });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain("MAILHOOK_ADMIN_TOKEN");
    expect(message).toMatch(/guessable/);
    expect(message).toMatch(/openssl rand/);
    expect(message).not.toContain(weak);
    const strong = randomBytes(32).toString("base64url");
    expect(parseEnv({ ...base, MAILHOOK_ADMIN_TOKEN: strong }).MAILHOOK_ADMIN_TOKEN).toBe(strong);
  });
});
