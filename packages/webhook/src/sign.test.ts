import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { USER_AGENT, webhookHeaders } from "./headers.js";
import { generateSecret, secretBytes } from "./secret.js";
import { signPayload } from "./sign.js";

const body = JSON.stringify({ type: "message.matched", subject: "Grüße – invoice #42" });
const now = () => Math.floor(Date.now() / 1000);

describe("generateSecret", () => {
  it("is whsec_ + base64 of 32 random bytes", () => {
    const a = generateSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secretBytes(a)).toHaveLength(32);
    expect(generateSecret()).not.toBe(a);
  });
});

describe("signPayload", () => {
  it("verifies with the standardwebhooks reference library", () => {
    const secret = generateSecret();
    const ts = now();
    const sig = signPayload({ id: "msg_1", timestamp: ts, body, secrets: [secret] });
    expect(sig).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    const headers = { "webhook-id": "msg_1", "webhook-timestamp": String(ts), "webhook-signature": sig };
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it("matches the reference signer byte for byte", () => {
    const secret = generateSecret();
    const ts = 1_700_000_000;
    const ours = signPayload({ id: "msg_x", timestamp: ts, body, secrets: [secret] });
    expect(ours).toBe(new Webhook(secret).sign("msg_x", new Date(ts * 1000), body));
  });

  it("signs with every secret during rotation, and each secret alone verifies", () => {
    const oldSecret = generateSecret();
    const newSecret = generateSecret();
    const ts = now();
    const sig = signPayload({ id: "msg_2", timestamp: ts, body, secrets: [newSecret, oldSecret] });
    expect(sig.split(" ")).toHaveLength(2);
    const headers = { "webhook-id": "msg_2", "webhook-timestamp": String(ts), "webhook-signature": sig };
    expect(() => new Webhook(oldSecret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(newSecret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(generateSecret()).verify(body, headers)).toThrow(/No matching signature/);
  });

  it("binds id, timestamp and body", () => {
    const secret = generateSecret();
    const ts = now();
    const sig = signPayload({ id: "msg_3", timestamp: ts, body, secrets: [secret] });
    const wh = new Webhook(secret);
    const h = (id: string, t: number) => ({
      "webhook-id": id,
      "webhook-timestamp": String(t),
      "webhook-signature": sig,
    });
    expect(() => wh.verify(body, h("msg_4", ts))).toThrow();
    expect(() => wh.verify(body, h("msg_3", ts + 1))).toThrow();
    expect(() => wh.verify(`${body} `, h("msg_3", ts))).toThrow();
  });

  it("refuses no secrets, fractional timestamps and non-base64 secrets", () => {
    expect(() => signPayload({ id: "m", timestamp: 1, body, secrets: [] })).toThrow();
    expect(() => signPayload({ id: "m", timestamp: 1.5, body, secrets: [generateSecret()] })).toThrow();
    expect(() => signPayload({ id: "m", timestamp: 1, body, secrets: ["whsec_not base64!"] })).toThrow();
  });
});

describe("webhookHeaders", () => {
  it("carries the Standard Webhooks headers, content-type, user-agent and custom headers", () => {
    const secret = generateSecret();
    const ts = now();
    const headers = webhookHeaders({
      id: "msg_5",
      timestamp: ts,
      body,
      secrets: [secret],
      extra: { Authorization: "Bearer abc", "X-Tenant": "t1" },
    });
    expect(headers).toMatchObject({
      "content-type": "application/json",
      "webhook-id": "msg_5",
      "webhook-timestamp": String(ts),
      "user-agent": USER_AGENT,
      authorization: "Bearer abc",
      "x-tenant": "t1",
    });
    expect(USER_AGENT).toMatch(/^mailhook\/\d+\.\d+\.\d+/);
    expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
  });

  it("does not let custom headers override the signature or framing headers", () => {
    const secret = generateSecret();
    const ts = now();
    const headers = webhookHeaders({
      id: "msg_6",
      timestamp: ts,
      body,
      secrets: [secret],
      extra: {
        "Webhook-Id": "forged",
        "WEBHOOK-SIGNATURE": "v1,forged",
        "webhook-timestamp": "0",
        "Content-Type": "text/plain",
        "User-Agent": "custom/1",
      },
    });
    expect(headers["webhook-id"]).toBe("msg_6");
    expect(headers["webhook-timestamp"]).toBe(String(ts));
    expect(headers["content-type"]).toBe("application/json");
    expect(headers["user-agent"]).toBe("custom/1");
    expect(Object.keys(headers).filter((k) => k.toLowerCase() === "webhook-id")).toHaveLength(1);
    expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
  });
});
