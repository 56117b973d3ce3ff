import { signingSecrets } from "@mailhook/store";
import { startRedis, type TestRedis } from "@mailhook/testing";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ApiHarness, isErrorShape } from "./support/api.js";
import { testOutbound } from "./support/outbound.js";

let redis: TestRedis;
let api: ApiHarness;
let strict: ApiHarness;
let token: string;
let tenantId: string;

beforeAll(async () => {
  redis = await startRedis();
  api = new ApiHarness({ redisUrl: redis.url });
  // No allow-list: the production default, where loopback is refused too.
  strict = new ApiHarness({ redisUrl: redis.url, deps: { outbound: testOutbound({ allow: {} }) } });
});
afterAll(async () => {
  await Promise.all([api?.stop(), strict?.stop()]);
  await redis?.stop();
});
beforeEach(async () => {
  ({ token, tenantId } = await api.tenant("endpoints"));
});

describe("endpoints", () => {
  it("happy: the secret is generated, shown once, stored sealed; header values are sealed and never shown", async () => {
    const c = await api.json("POST", "/v1/endpoints", token, {
      url: "http://127.0.0.1:9/hook",
      headers: { Authorization: "Bearer receiver-secret-123", "X-Team": "billing" },
    });
    expect(c.status).toBe(201);
    expect(c.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(c.body).toMatchObject({
      state: "enabled",
      activeSecrets: 1,
      headers: { Authorization: "[redacted]", "X-Team": "[redacted]" },
    });
    const g = await api.call("GET", `/v1/endpoints/${c.body.id}`, { token });
    expect(g.body.secret).toBeUndefined();
    expect(g.text).not.toContain("receiver-secret-123");
    expect((await api.store.getEndpoint(tenantId, c.body.id))?.secrets).toEqual([c.body.secret]);
    const raw = await api.redis.hget(api.store.keys.endpoints(tenantId), c.body.id);
    expect(raw).not.toContain(c.body.secret);
    for (const plain of ["receiver-secret-123", "billing", "X-Team", "Authorization"])
      expect(raw).not.toContain(plain);
    // The pipeline still gets them in clear.
    expect((await api.store.getEndpoint(tenantId, c.body.id))?.headers).toEqual({
      Authorization: "Bearer receiver-secret-123",
      "X-Team": "billing",
    });
  });

  it("idempotent create: a retry gets the same endpoint and secret, which Redis holds only sealed", async () => {
    const key = { "idempotency-key": "ep-once" };
    const a = await api.json("POST", "/v1/endpoints", token, { url: "http://127.0.0.1:9/idem" }, key);
    const b = await api.json("POST", "/v1/endpoints", token, { url: "http://127.0.0.1:9/idem" }, key);
    expect(b.status).toBe(201);
    expect(b.headers.get("idempotent-replayed")).toBe("true");
    expect(b.body).toEqual(a.body);
    expect(await api.store.listEndpoints(tenantId)).toHaveLength(1);
    const keys = await api.redis.keys(`${api.prefix}:idem:*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(await api.redis.get(k)).not.toContain(a.body.secret);
  });

  it("security: the SSRF guard refuses private, link-local and metadata addresses on save", async () => {
    const { token: t } = await strict.tenant("ssrf");
    for (const url of [
      "http://127.0.0.1:8080/x",
      "http://169.254.169.254/latest/meta-data",
      "http://10.1.2.3/",
      "http://[::1]/",
      "http://0x7f.1/",
      "http://user:pw@example.com/",
      "ftp://example.com/",
    ]) {
      const r = await strict.json("POST", "/v1/endpoints", t, { url });
      expect(r.status, url).toBe(422);
      expect(r.body.error.code).toBe("DESTINATION_REFUSED");
      expect(r.body.error.details[0].path).toBe("body.url");
    }
    // The same check on PATCH.
    const ok = await api.json("POST", "/v1/endpoints", token, { url: "http://127.0.0.1:9/ok" });
    const p = await api.json("PATCH", `/v1/endpoints/${ok.body.id}`, token, {
      url: "http://169.254.169.254/",
    });
    expect(p.status).toBe(422);
    expect((await api.store.getEndpoint(tenantId, ok.body.id))?.url).toBe("http://127.0.0.1:9/ok");
  });

  it("error: reserved and malformed headers are refused with their paths", async () => {
    const r = await api.json("POST", "/v1/endpoints", token, {
      url: "http://127.0.0.1:9/x",
      headers: { "webhook-signature": "v1,forged", "Content-Type": "text/plain" },
    });
    expect(r.status).toBe(400);
    expect(r.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      "body.headers.Content-Type",
      "body.headers.webhook-signature",
    ]);
    const crlf = await api.json("POST", "/v1/endpoints", token, {
      url: "http://127.0.0.1:9/x",
      headers: { "X-A": "a\r\nX-Injected: 1" },
    });
    expect(crlf.status).toBe(400);
    expect(isErrorShape(crlf.body)).toBe(true);
  });

  it("rotation: the new secret signs at once, the old one keeps signing for the overlap", async () => {
    const c = await api.json("POST", "/v1/endpoints", token, { url: "http://127.0.0.1:9/x" });
    const r = await api.json("POST", `/v1/endpoints/${c.body.id}/rotate-secret`, token, {
      overlapSeconds: 3600,
    });
    expect(r.status).toBe(200);
    expect(r.body.secret).not.toBe(c.body.secret);
    expect(r.body.activeSecrets).toBe(2);
    const e = await api.store.getEndpoint(tenantId, c.body.id);
    expect(e?.secrets).toEqual([r.body.secret]);
    expect(signingSecrets(e ?? { secrets: [] })).toEqual([r.body.secret, c.body.secret]);
    expect(signingSecrets(e ?? { secrets: [] }, Date.now() + 3601_000)).toEqual([r.body.secret]);
    const now = await api.json("POST", `/v1/endpoints/${c.body.id}/rotate-secret`, token, {
      overlapSeconds: 0,
    });
    expect(now.body.activeSecrets).toBe(1);
    expect(signingSecrets((await api.store.getEndpoint(tenantId, c.body.id)) ?? { secrets: [] })).toEqual([
      now.body.secret,
    ]);
  });

  it("disabled-by-410 shows as gone with its reason, and PATCH enabled:true re-enables it", async () => {
    const c = await api.json("POST", "/v1/endpoints", token, { url: "http://127.0.0.1:9/x" });
    await api.store.disableEndpoint(tenantId, c.body.id, "receiver answered 410 Gone");
    const g = await api.call("GET", `/v1/endpoints/${c.body.id}`, { token });
    expect(g.body).toMatchObject({
      enabled: false,
      state: "gone",
      disabledReason: "receiver answered 410 Gone",
    });
    const p = await api.json("PATCH", `/v1/endpoints/${c.body.id}`, token, { enabled: true });
    expect(p.body).toMatchObject({ enabled: true, state: "enabled", disabledReason: null });
    const off = await api.json("PATCH", `/v1/endpoints/${c.body.id}`, token, { enabled: false });
    expect(off.body).toMatchObject({ state: "disabled", disabledReason: "disabled through the API" });
  });

  it("delete: refused while a rule sends to it, then 204 and gone", async () => {
    const c = await api.json("POST", "/v1/endpoints", token, { url: "http://127.0.0.1:9/x" });
    await api.json("POST", "/v1/rules", token, {
      id: "uses",
      name: "uses",
      actions: [{ type: "webhook", endpoint: c.body.id }],
    });
    const d = await api.call("DELETE", `/v1/endpoints/${c.body.id}`, { token });
    expect(d.status).toBe(409);
    expect(d.body.error).toMatchObject({ code: "IN_USE", details: [{ path: "rules.uses" }] });
    await api.call("DELETE", "/v1/rules/uses", { token });
    expect((await api.call("DELETE", `/v1/endpoints/${c.body.id}`, { token })).status).toBe(204);
    expect(await api.store.getEndpoint(tenantId, c.body.id)).toBeNull();
  });
});
