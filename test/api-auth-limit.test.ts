import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { startRedis, type TestRedis } from "@mailhook/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, ApiHarness } from "./support/api.js";

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/** The API on a real socket (the client address comes from it), as `npm start` serves it. */
async function listen(h: ApiHarness) {
  const server = serve({ fetch: h.app.fetch, hostname: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    get: (token: string, headers: Record<string, string> = {}) =>
      fetch(`${url}/v1/mailboxes`, { headers: { authorization: `Bearer ${token}`, ...headers } }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const guess = () => `mh_${randomBytes(32).toString("base64url")}`;

describe("failed authentication is limited per client address", () => {
  it("security: after the limit, every request from that address answers 429 with Retry-After, even a right token; replicas share the count", async () => {
    const limits = { authFailuresPerWindow: 5, authFailureWindowMs: 60_000 };
    const a = new ApiHarness({ redisUrl: redis.url, deps: { limits } });
    // A second replica on the same Redis and prefix.
    const b = new ApiHarness({
      redisUrl: redis.url,
      shared: { prefix: a.prefix, redis: a.redis, store: a.store, secrets: a.secrets },
      deps: { limits },
    });
    const { token } = await a.tenant("limited");
    const [sa, sb] = [await listen(a), await listen(b)];
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await sa.get(guess())).status);
    for (let i = 0; i < 2; i++) statuses.push((await sb.get(guess())).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const over = await sa.get(guess());
    expect(over.status).toBe(429);
    const body = (await over.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("AUTH_RATE_LIMITED");
    expect(body.error.message).toMatch(/failed authentications/);
    const retry = Number(over.headers.get("retry-after"));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    // The right token gets no answer either: no oracle for the guesser while blocked.
    expect((await sb.get(token)).status).toBe(429);
    expect((await sa.get(ADMIN_TOKEN)).status).toBe(429);
    // Another client address is not affected (in-process requests count apart from 127.0.0.1).
    expect((await a.call("GET", "/v1/mailboxes", { token })).status).toBe(200);
    await Promise.all([sa.close(), sb.close()]);
    await b.stop();
    await a.stop();
  });

  it("security: X-Forwarded-For is ignored unless the peer is a trusted proxy; behind one, each client counts apart", async () => {
    const limits = { authFailuresPerWindow: 2, authFailureWindowMs: 60_000 };
    const direct = new ApiHarness({ redisUrl: redis.url, deps: { limits } });
    const sd = await listen(direct);
    // Rotating the header does not buy a fresh budget.
    const spoofed: number[] = [];
    for (let i = 0; i < 3; i++)
      spoofed.push((await sd.get(guess(), { "x-forwarded-for": `203.0.113.${i}` })).status);
    expect(spoofed).toEqual([401, 401, 429]);
    await sd.close();

    const proxied = new ApiHarness({
      redisUrl: redis.url,
      deps: { limits, trustedProxies: ["127.0.0.0/8"] },
    });
    const sp = await listen(proxied);
    const one = { "x-forwarded-for": "198.51.100.7" };
    // A client's own left-most entry is not believed: the proxy appends the real peer on the right.
    const forged = { "x-forwarded-for": "198.51.100.99, 198.51.100.7" };
    const seen = [
      (await sp.get(guess(), one)).status,
      (await sp.get(guess(), forged)).status,
      (await sp.get(guess(), one)).status,
    ];
    expect(seen).toEqual([401, 401, 429]);
    // Another client behind the same proxy still has its budget.
    expect((await sp.get(guess(), { "x-forwarded-for": "198.51.100.8" })).status).toBe(401);
    await sp.close();
    await Promise.all([direct.stop(), proxied.stop()]);
  });
});
