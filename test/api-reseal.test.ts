import { createCipheriv, randomBytes } from "node:crypto";
import { createSecretBox, createStore, generateKeySpec } from "@mailhook/store";
import { startRedis, type TestRedis } from "@mailhook/testing";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ADMIN_TOKEN, ApiHarness } from "./support/api.js";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

it("key rollover: POST /v1/admin/reseal re-encrypts every credential under the new key; the old key can then go", async () => {
  const k1 = generateKeySpec("k1");
  const k2 = generateKeySpec("k2");
  const conn = new Redis(redis.url);
  const prefix = `rs${Date.now().toString(36)}`;
  const box = (spec: string) => createSecretBox(spec);
  const harness = (spec: string) => {
    const secrets = box(spec);
    return new ApiHarness({
      redisUrl: redis.url,
      shared: { prefix, redis: conn, secrets, store: createStore({ redis: conn, prefix, secrets }) },
    });
  };
  const before = harness(k1);
  const { token, tenantId } = await before.tenant("keys");
  const mbx = await before.json("POST", "/v1/mailboxes", token, {
    address: "a@b.test",
    host: "127.0.0.1",
    tls: "none",
    auth: { type: "password", user: "u", password: "old-key-password" },
  });
  const oauthMbx = await before.json("POST", "/v1/mailboxes", token, {
    address: "o@b.test",
    host: "imap.example.test",
    auth: {
      type: "oauth2",
      user: "o",
      accessToken: "at-1",
      refreshToken: "rt-1",
      tokenEndpoint: "http://127.0.0.1:9/t",
      clientId: "c",
      clientSecret: "cs",
    },
  });
  const ep = await before.json("POST", "/v1/endpoints", token, { url: "http://127.0.0.1:9/x" });
  expect([mbx.status, oauthMbx.status, ep.status]).toEqual([201, 201, 201]);
  const kids = async () =>
    [...JSON.stringify(await conn.hgetall(`${prefix}:mailboxes`)).matchAll(/kid\\":\\"(\w+)/g)].map(
      (m) => m[1],
    );
  expect(await kids()).toEqual(["k1", "k1"]);

  // The new key first, the old one still listed.
  const rolling = harness(`${k2},${k1}`);
  const tenantToken = await rolling.json("POST", "/v1/admin/reseal", token, {});
  expect(tenantToken.status).toBe(403);
  const r = await rolling.json("POST", "/v1/admin/reseal", ADMIN_TOKEN, {});
  expect(r.status).toBe(200);
  expect(r.body).toEqual({ keyId: "k2", mailboxes: 2, endpoints: 1, oauth: 1, idempotency: 0 });
  expect(await kids()).toEqual(["k2", "k2"]);
  const again = await rolling.json("POST", "/v1/admin/reseal", ADMIN_TOKEN, {});
  expect(again.body).toEqual({ keyId: "k2", mailboxes: 0, endpoints: 0, oauth: 0, idempotency: 0 });

  // Only the new key now: everything still opens.
  const after = harness(k2);
  expect((await after.store.getMailbox(tenantId, mbx.body.id))?.password).toBe("old-key-password");
  expect((await after.store.getEndpoint(tenantId, ep.body.id))?.secrets).toEqual([ep.body.secret]);
  const o = await after.call("GET", `/v1/mailboxes/${oauthMbx.body.id}`, { token });
  expect(o.body.auth).toMatchObject({ type: "oauth2", hasRefreshToken: true });
  for (const h of [before, rolling, after]) await h.stop();
  conn.disconnect();
});

/** A value as mailhook sealed it before associated data existed: no `v`, no AAD. */
function sealLegacy(spec: string, plain: string) {
  const [kid, b64] = spec.split(":") as [string, string];
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", Buffer.from(b64, "base64"), iv);
  const ct = Buffer.concat([c.update(plain, "utf8"), c.final()]);
  return {
    kid,
    iv: iv.toString("base64"),
    tag: c.getAuthTag().toString("base64"),
    ct: ct.toString("base64"),
  };
}

function installation(spec: string, prefix: string, conn: Redis) {
  const secrets = createSecretBox(spec);
  return new ApiHarness({
    redisUrl: redis.url,
    shared: { prefix, redis: conn, secrets, store: createStore({ redis: conn, prefix, secrets }) },
  });
}

it("migration: records in the old format (no associated data, headers in clear) are read, and rewritten by reseal or by their next write", async () => {
  const k1 = generateKeySpec("k1");
  const conn = new Redis(redis.url);
  const prefix = `mg${Date.now().toString(36)}`;
  const api = installation(k1, prefix, conn);
  const { token, tenantId } = await api.tenant("legacy");
  const mbx = await api.json("POST", "/v1/mailboxes", token, {
    address: "a@b.test",
    host: "127.0.0.1",
    tls: "none",
    auth: { type: "password", user: "u", password: "placeholder" },
  });
  const eps = await Promise.all(
    ["a", "b"].map((n) => api.json("POST", "/v1/endpoints", token, { url: `http://127.0.0.1:9/${n}` })),
  );
  // Rewrite them as the previous release stored them.
  const k = api.store.keys;
  const m = JSON.parse((await conn.hget(k.mailboxes, k.ref(tenantId, mbx.body.id))) ?? "{}");
  await conn.hset(
    k.mailboxes,
    k.ref(tenantId, mbx.body.id),
    JSON.stringify({ ...m, password: sealLegacy(k1, "legacy-imap-password") }),
  );
  for (const ep of eps) {
    const { sealedHeaders: _s, ...e } = JSON.parse(
      (await conn.hget(k.endpoints(tenantId), ep.body.id)) ?? "{}",
    );
    const legacy = {
      ...e,
      secrets: [sealLegacy(k1, ep.body.secret)],
      headers: { Authorization: "Bearer legacy-hdr" },
    };
    await conn.hset(k.endpoints(tenantId), ep.body.id, JSON.stringify(legacy));
  }
  // Read as before.
  expect((await api.store.getMailbox(tenantId, mbx.body.id))?.password).toBe("legacy-imap-password");
  const [a, b] = eps.map((ep) => ep.body.id as string) as [string, string];
  expect(await api.store.getEndpoint(tenantId, a)).toMatchObject({
    secrets: [eps[0]?.body.secret],
    headers: { Authorization: "Bearer legacy-hdr" },
  });

  // Lazily: endpoint b's next write stores it in the new format.
  expect((await api.json("PATCH", `/v1/endpoints/${b}`, token, { enabled: true })).status).toBe(200);
  const rawB = (await conn.hget(k.endpoints(tenantId), b)) ?? "";
  expect(rawB).not.toContain("legacy-hdr");
  expect(JSON.parse(rawB)).toMatchObject({ secrets: [{ v: 2 }], sealedHeaders: { v: 2 } });
  expect(JSON.parse(rawB).headers).toBeUndefined();

  // Reseal rewrites the rest (same key: only the format is old).
  const r = await api.json("POST", "/v1/admin/reseal", ADMIN_TOKEN, {});
  expect(r.body).toEqual({ keyId: "k1", mailboxes: 1, endpoints: 1, oauth: 0, idempotency: 0 });
  const all = JSON.stringify([await conn.hgetall(k.mailboxes), await conn.hgetall(k.endpoints(tenantId))]);
  expect(all).not.toContain("legacy-hdr");
  expect(JSON.parse((await conn.hget(k.mailboxes, k.ref(tenantId, mbx.body.id))) ?? "").password.v).toBe(2);
  expect((await api.store.getMailbox(tenantId, mbx.body.id))?.password).toBe("legacy-imap-password");
  expect((await api.store.getEndpoint(tenantId, a))?.headers).toEqual({ Authorization: "Bearer legacy-hdr" });
  await api.stop();
  conn.disconnect();
});

it("idempotency records: keyed fingerprints; reseal expires those of the old key, so a retry after dropping it is never a 500", async () => {
  const k1 = generateKeySpec("k1");
  const k2 = generateKeySpec("k2");
  const conn = new Redis(redis.url);
  const prefix = `ik${Date.now().toString(36)}`;
  const before = installation(k1, prefix, conn);
  const { token } = await before.tenant("idem");
  const body = (n: string) => ({
    address: `${n}@b.test`,
    host: "127.0.0.1",
    tls: "none",
    auth: { type: "password", user: "u", password: "dictionary-word" },
  });
  const first = await before.json("POST", "/v1/mailboxes", token, body("a"), { "idempotency-key": "a" });
  const other = await before.json("POST", "/v1/mailboxes", token, body("b"), { "idempotency-key": "b" });
  expect([first.status, other.status]).toEqual([201, 201]);
  const idem = await conn.keys(`${prefix}:idem:*`);
  expect(idem).toHaveLength(2);
  for (const key of idem) {
    const raw = (await conn.get(key)) ?? "";
    expect(raw).not.toContain("dictionary-word");
    // No plain hash of any body variant: the fingerprint is an HMAC under a derived key.
    expect(JSON.parse(raw).fp).toMatch(/^k1\.[0-9a-f]{64}$/);
  }

  // Rollover with reseal: the old records are expired.
  const rolling = installation(`${k2},${k1}`, prefix, conn);
  const r = await rolling.json("POST", "/v1/admin/reseal", ADMIN_TOKEN, {});
  expect(r.body).toMatchObject({ keyId: "k2", idempotency: 2 });
  expect(await conn.keys(`${prefix}:idem:*`)).toHaveLength(0);
  const fresh = await rolling.json("POST", "/v1/mailboxes", token, body("c"), { "idempotency-key": "c" });
  expect(fresh.status).toBe(201);

  // The old key dropped: the key "a" runs as new (its record is gone), "c" still replays.
  const after = installation(k2, prefix, conn);
  const retryA = await after.json("POST", "/v1/mailboxes", token, body("a"), { "idempotency-key": "a" });
  expect(retryA.status).toBe(201);
  const retryC = await after.json("POST", "/v1/mailboxes", token, body("c"), { "idempotency-key": "c" });
  expect(retryC.status).toBe(201);
  expect(retryC.headers.get("idempotent-replayed")).toBe("true");
  expect(retryC.body.id).toBe(fresh.body.id);

  // Without a reseal, a record whose key was dropped counts as expired too (not a 500).
  const d = await before.json("POST", "/v1/mailboxes", token, body("d"), { "idempotency-key": "d" });
  expect(d.status).toBe(201);
  const retryD = await after.json("POST", "/v1/mailboxes", token, body("d"), { "idempotency-key": "d" });
  expect(retryD.status).toBe(201);
  expect(retryD.headers.get("idempotent-replayed")).toBeNull();
  for (const h of [before, rolling, after]) await h.stop();
  conn.disconnect();
});
