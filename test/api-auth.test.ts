import { startRedis, type TestRedis } from "@mailhook/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, ApiHarness, isErrorShape } from "./support/api.js";

let redis: TestRedis;
let api: ApiHarness;
const harnesses: ApiHarness[] = [];
beforeAll(async () => {
  redis = await startRedis();
  api = new ApiHarness({ redisUrl: redis.url });
  harnesses.push(api);
});
afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.stop()));
  await redis?.stop();
});

/** Every key and value under the harness prefix, as one string. */
async function dump(h: ApiHarness): Promise<string> {
  const keys = await h.redis.keys(`${h.prefix}:*`);
  const parts: string[] = [];
  for (const k of keys) {
    const type = await h.redis.type(k);
    if (type === "string") parts.push(k, (await h.redis.get(k)) ?? "");
    else if (type === "hash") parts.push(k, JSON.stringify(await h.redis.hgetall(k)));
    else if (type === "set") parts.push(k, JSON.stringify(await h.redis.smembers(k)));
    else if (type === "zset") parts.push(k, JSON.stringify(await h.redis.zrange(k, 0, -1)));
    else if (type === "list") parts.push(k, JSON.stringify(await h.redis.lrange(k, 0, -1)));
  }
  return parts.join("\n");
}

describe("tenants and tokens", () => {
  it("happy: the admin creates a tenant and a token that works once shown", async () => {
    const t = await api.json("POST", "/v1/tenants", ADMIN_TOKEN, { name: "Acme" });
    expect(t.status).toBe(201);
    expect(t.body).toMatchObject({ name: "Acme", id: expect.stringMatching(/^ten_/) });
    expect(t.headers.get("location")).toBe(`/v1/tenants/${t.body.id}`);
    const k = await api.json("POST", `/v1/tenants/${t.body.id}/tokens`, ADMIN_TOKEN, { name: "ci" });
    expect(k.status).toBe(201);
    expect(k.body.token).toMatch(/^mh_[A-Za-z0-9_-]{43}$/);
    expect(k.body).toMatchObject({ tenantId: t.body.id, readOnly: false, revokedAt: null });
    const list = await api.call("GET", "/v1/mailboxes", { token: k.body.token });
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ data: [], nextCursor: null });

    // Listing tokens never shows the secret again.
    const tokens = await api.call("GET", `/v1/tenants/${t.body.id}/tokens`, { token: ADMIN_TOKEN });
    expect(tokens.status).toBe(200);
    expect(tokens.body.data).toHaveLength(1);
    expect(tokens.body.data[0].token).toBeUndefined();
    expect(tokens.text).not.toContain(k.body.token);
  });

  it("security: tokens are stored only as SHA-256 hashes", async () => {
    const { token } = await api.tenant("hashes");
    const all = await dump(api);
    expect(all).not.toContain(token);
    const { createHash } = await import("node:crypto");
    expect(all).toContain(createHash("sha256").update(token).digest("hex"));
  });

  it("security: an idempotent retry of issuing a token never keeps or re-shows the token", async () => {
    const t = await api.json("POST", "/v1/tenants", ADMIN_TOKEN, { name: "idem-token" });
    const key = { "idempotency-key": "issue-once" };
    const a = await api.json("POST", `/v1/tenants/${t.body.id}/tokens`, ADMIN_TOKEN, { name: "ci" }, key);
    expect(a.status).toBe(201);
    const b = await api.json("POST", `/v1/tenants/${t.body.id}/tokens`, ADMIN_TOKEN, { name: "ci" }, key);
    expect(b.status).toBe(409);
    expect(b.body.error.message).toContain(a.body.id);
    expect(b.text).not.toContain(a.body.token);
    const list = await api.call("GET", `/v1/tenants/${t.body.id}/tokens`, { token: ADMIN_TOKEN });
    expect(list.body.data).toHaveLength(1);
    expect(await dump(api)).not.toContain(a.body.token);
  });

  it("security: a revoked token stops working at once", async () => {
    const { tenantId, token } = await api.tenant("revoke");
    const tokens = await api.call("GET", `/v1/tenants/${tenantId}/tokens`, { token: ADMIN_TOKEN });
    const id = tokens.body.data[0].id as string;
    expect((await api.call("GET", "/v1/rules", { token })).status).toBe(200);
    const r = await api.call("DELETE", `/v1/tenants/${tenantId}/tokens/${id}`, { token: ADMIN_TOKEN });
    expect(r.status).toBe(200);
    expect(r.body.revokedAt).toEqual(expect.any(String));
    const after = await api.call("GET", "/v1/rules", { token });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe("UNAUTHENTICATED");
    expect(after.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("security: a read-only token reads but cannot write", async () => {
    const { token } = await api.tenant("ro", true);
    expect((await api.call("GET", "/v1/endpoints", { token })).status).toBe(200);
    const w = await api.json("POST", "/v1/endpoints", token, { url: "http://127.0.0.1:9/x" });
    expect(w.status).toBe(403);
    expect(w.body.error.code).toBe("FORBIDDEN");
    expect(await api.store.listEndpoints((await api.tokensOf(token)).tenantId)).toEqual([]);
  });

  it("security: tenant tokens cannot use admin routes; the admin token cannot act inside a tenant", async () => {
    const { tenantId, token } = await api.tenant("split");
    for (const [m, p] of [
      ["GET", "/v1/tenants"],
      ["GET", `/v1/tenants/${tenantId}`],
      ["GET", `/v1/tenants/${tenantId}/tokens`],
    ] as const) {
      const r = await api.call(m, p, { token });
      expect(r.status, `${m} ${p}`).toBe(403);
      expect(isErrorShape(r.body)).toBe(true);
    }
    const issue = await api.json("POST", `/v1/tenants/${tenantId}/tokens`, token, { name: "escalate" });
    expect(issue.status).toBe(403);
    const asAdmin = await api.call("GET", "/v1/mailboxes", { token: ADMIN_TOKEN });
    expect(asAdmin.status).toBe(403);
  });

  it("error: missing, malformed and unknown tokens answer 401 in the error shape", async () => {
    const cases: Record<string, string>[] = [
      {},
      { authorization: "Basic abc" },
      { authorization: "Bearer mh_nope" },
    ];
    for (const headers of cases) {
      const r = await api.call("GET", "/v1/rules", { headers });
      expect(r.status).toBe(401);
      expect(isErrorShape(r.body)).toBe(true);
    }
  });

  it("error: a duplicate tenant id is a conflict; an unknown tenant is 404", async () => {
    const a = await api.json("POST", "/v1/tenants", ADMIN_TOKEN, { name: "x", id: "fixed-id" });
    expect(a.status).toBe(201);
    const b = await api.json("POST", "/v1/tenants", ADMIN_TOKEN, { name: "y", id: "fixed-id" });
    expect(b.status).toBe(409);
    expect((await api.call("GET", "/v1/tenants/nope", { token: ADMIN_TOKEN })).status).toBe(404);
    const bad = await api.json("POST", "/v1/tenants", ADMIN_TOKEN, { name: "", id: "no spaces" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      "body.id",
      "body.name",
    ]);
  });

  it("happy: tenants are paginated with an opaque cursor", async () => {
    const h = new ApiHarness({ redisUrl: redis.url });
    harnesses.push(h);
    for (let i = 0; i < 5; i++)
      await h.json("POST", "/v1/tenants", ADMIN_TOKEN, { name: `t${i}`, id: `t-${i}` });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${cursor}` : "";
      const r = await h.call("GET", `/v1/tenants?limit=2${q}`, { token: ADMIN_TOKEN });
      expect(r.status).toBe(200);
      expect(r.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...r.body.data.map((t: { id: string }) => t.id));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(["t-0", "t-1", "t-2", "t-3", "t-4"]);
    const bad = await h.call("GET", "/v1/tenants?cursor=garbage", { token: ADMIN_TOKEN });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe("query.cursor");
  });
});

describe("transport rules", () => {
  it("rate limit: 429 with Retry-After once a token's budget is spent, other tokens unaffected", async () => {
    const h = new ApiHarness({
      redisUrl: redis.url,
      deps: { limits: { ratePerWindow: 3, rateWindowMs: 60_000 } },
    });
    harnesses.push(h);
    const t = await h.json("POST", "/v1/tenants", ADMIN_TOKEN, { name: "rl" });
    const k = await h.json("POST", `/v1/tenants/${t.body.id}/tokens`, ADMIN_TOKEN, { name: "a" });
    const k2 = await h.json("POST", `/v1/tenants/${t.body.id}/tokens`, ADMIN_TOKEN, { name: "b" });
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof h.call>> | null = null;
    for (let i = 0; i < 5; i++) {
      last = await h.call("GET", "/v1/rules", { token: k.body.token });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(last?.body.error.code).toBe("RATE_LIMITED");
    const retry = Number(last?.headers.get("retry-after"));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    expect((await h.call("GET", "/v1/rules", { token: k2.body.token })).status).toBe(200);
  });

  it("body limit: a body over the limit answers 413 in the error shape", async () => {
    const h = new ApiHarness({ redisUrl: redis.url, deps: { limits: { bodyBytes: 1000, emlBytes: 5000 } } });
    harnesses.push(h);
    const { token } = await h.tenant("big");
    const r = await h.json("POST", "/v1/endpoints", token, {
      url: "http://127.0.0.1:9/x",
      description: "y".repeat(2000),
    });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe("PAYLOAD_TOO_LARGE");
    // The dry run has its own, larger limit for whole messages.
    const eml = `Subject: s\r\n\r\n${"z".repeat(3000)}`;
    const ok = await h.call("POST", "/v1/rules/test", {
      token,
      body: eml,
      headers: { "content-type": "message/rfc822" },
    });
    expect(ok.status).toBe(200);
    const big = await h.call("POST", "/v1/rules/test", {
      token,
      body: `Subject: s\r\n\r\n${"z".repeat(6000)}`,
      headers: { "content-type": "message/rfc822" },
    });
    expect(big.status).toBe(413);
  });

  it("CORS is off by default and on only for configured origins", async () => {
    const { token } = await api.tenant("cors");
    const off = await api.call("GET", "/v1/rules", { token, headers: { origin: "https://evil.example" } });
    expect(off.headers.get("access-control-allow-origin")).toBeNull();
    const h = new ApiHarness({ redisUrl: redis.url, deps: { corsOrigins: ["https://app.example"] } });
    harnesses.push(h);
    const k = await h.tenant("cors2");
    const on = await h.call("GET", "/v1/rules", {
      token: k.token,
      headers: { origin: "https://app.example" },
    });
    expect(on.headers.get("access-control-allow-origin")).toBe("https://app.example");
    const other = await h.call("GET", "/v1/rules", {
      token: k.token,
      headers: { origin: "https://evil.example" },
    });
    expect(other.headers.get("access-control-allow-origin")).not.toBe("https://evil.example");
  });

  it("request ids: generated, or a caller's kept, echoed and logged with the request", async () => {
    const r = await api.call("GET", "/healthz");
    expect(r.headers.get("x-request-id")).toMatch(/^req_/);
    const mine = "trace-1234567890";
    const e = await api.call("GET", "/nowhere", { headers: { "x-request-id": mine } });
    expect(e.status).toBe(404);
    expect(e.body.error.requestId).toBe(mine);
    await new Promise((r) => setImmediate(r)); // the log stream may flush on the next tick
    const logged = api.logs.entries().find((l) => l.requestId === mine);
    expect(logged).toMatchObject({ status: 404, method: "GET", path: "/nowhere" });
    const injected = await api.call("GET", "/healthz", {
      headers: { "x-request-id": "<script>alert(1)</script>" },
    });
    expect(injected.headers.get("x-request-id")).toMatch(/^req_/);
  });
});
