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
  expect(r.body).toEqual({ keyId: "k2", mailboxes: 2, endpoints: 1, oauth: 1 });
  expect(await kids()).toEqual(["k2", "k2"]);
  const again = await rolling.json("POST", "/v1/admin/reseal", ADMIN_TOKEN, {});
  expect(again.body).toEqual({ keyId: "k2", mailboxes: 0, endpoints: 0, oauth: 0 });

  // Only the new key now: everything still opens.
  const after = harness(k2);
  expect((await after.store.getMailbox(tenantId, mbx.body.id))?.password).toBe("old-key-password");
  expect((await after.store.getEndpoint(tenantId, ep.body.id))?.secrets).toEqual([ep.body.secret]);
  const o = await after.call("GET", `/v1/mailboxes/${oauthMbx.body.id}`, { token });
  expect(o.body.auth).toMatchObject({ type: "oauth2", hasRefreshToken: true });
  for (const h of [before, rolling, after]) await h.stop();
  conn.disconnect();
});
