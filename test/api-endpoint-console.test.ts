import { createEndpointGate } from "@mailhook/store";
import { startReceiver, startRedis, type TestReceiver, type TestRedis } from "@mailhook/testing";
import { TestEventPayload } from "@mailhook/webhook";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, ApiHarness } from "./support/api.js";
import { testOutbound } from "./support/outbound.js";

let redis: TestRedis;
let api: ApiHarness;
let strict: ApiHarness;
let receiver: TestReceiver;

beforeAll(async () => {
  redis = await startRedis();
  receiver = await startReceiver();
  api = new ApiHarness({ redisUrl: redis.url });
  // No allow-list: the production default, where loopback is refused.
  strict = new ApiHarness({ redisUrl: redis.url, deps: { outbound: testOutbound({ allow: {} }) } });
});
afterAll(async () => {
  await Promise.all([api?.stop(), strict?.stop(), receiver?.stop()]);
  await redis?.stop();
});

async function endpoint(h: ApiHarness, token: string, path: string) {
  const c = await h.json("POST", "/v1/endpoints", token, {
    url: `${receiver.url}${path}`,
    headers: { Authorization: "Bearer receiver-key" },
  });
  expect(c.status).toBe(201);
  return c.body as { id: string; secret: string };
}

describe("POST /v1/endpoints/{id}/test", () => {
  it("happy: a signed endpoint.test event with the custom headers; the answer has status, latency, preview", async () => {
    const { token, tenantId } = await api.tenant("test-event");
    const ep = await endpoint(api, token, "/t-ok");
    receiver.setHandler((req) =>
      req.path === "/t-ok" ? { status: 202, body: "thanks, got it" } : { status: 200, body: "ok" },
    );
    const r = await api.call("POST", `/v1/endpoints/${ep.id}/test`, { token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ok: true, status: 202, error: null, responsePreview: "thanks, got it" });
    expect(r.body.latencyMs).toBeGreaterThanOrEqual(0);
    const req = receiver.requests.find((x) => x.path === "/t-ok");
    expect(req).toBeDefined();
    new Webhook(ep.secret).verify(req!.body, req!.headers);
    expect(req!.headers["webhook-id"]).toBe(r.body.id);
    expect(req!.headers.authorization).toBe("Bearer receiver-key");
    expect(TestEventPayload.parse(JSON.parse(req!.body))).toMatchObject({
      type: "endpoint.test",
      tenant: tenantId,
      endpoint: { id: ep.id },
    });
    // Nothing recorded; the circuit untouched.
    expect(await api.store.listDeliveryIds(tenantId)).toEqual([]);
    expect((await api.call("GET", `/v1/endpoints/${ep.id}`, { token })).body.circuit).toMatchObject({
      state: "closed",
      failures: 0,
    });
  });

  it("a failing receiver is reported, not thrown: ok false with the status and its preview", async () => {
    const { token } = await api.tenant("test-event-500");
    const ep = await endpoint(api, token, "/t-500");
    receiver.setHandler(() => ({ status: 500, body: "x".repeat(5000) }));
    const r = await api.call("POST", `/v1/endpoints/${ep.id}/test`, { token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ok: false, status: 500 });
    // Bounded: the first KiB of the response only.
    expect(r.body.responsePreview.length).toBeLessThanOrEqual(1024);
    receiver.setHandler(() => ({ status: 200, body: "ok" }));
  });

  it("one test per endpoint at a time: a second one while the first waits is refused", async () => {
    const { token } = await api.tenant("test-event-slow");
    const ep = await endpoint(api, token, "/t-slow");
    receiver.setHandler((req) => (req.path === "/t-slow" ? { status: 200, delayMs: 1500 } : { status: 200 }));
    const first = api.call("POST", `/v1/endpoints/${ep.id}/test`, { token });
    await receiver.waitFor(receiver.requests.length + 1).catch(() => undefined);
    const second = await api.call("POST", `/v1/endpoints/${ep.id}/test`, { token });
    expect(second.status).toBe(409);
    expect(second.body.error.message).toContain("still in flight");
    expect((await first).body).toMatchObject({ ok: true, status: 200 });
    receiver.setHandler(() => ({ status: 200, body: "ok" }));
  });

  it("security: read-only tokens are refused with the reason; another tenant's endpoint is not found", async () => {
    const { token, tenantId } = await api.tenant("test-event-ro");
    const ep = await endpoint(api, token, "/t-ro");
    const ro = await api.json("POST", `/v1/tenants/${tenantId}/tokens`, ADMIN_TOKEN, {
      name: "ro",
      readOnly: true,
    });
    const before = receiver.requests.length;
    const r = await api.call("POST", `/v1/endpoints/${ep.id}/test`, { token: ro.body.token });
    expect(r.status).toBe(403);
    expect(r.body.error.message).toBe("this token is read-only");
    const other = await api.tenant("test-event-other");
    expect((await api.call("POST", `/v1/endpoints/${ep.id}/test`, { token: other.token })).status).toBe(404);
    expect(receiver.requests.length).toBe(before);
  });

  it("security: the outbound policy applies at send time (loopback refused without an allow-list)", async () => {
    const { token, tenantId } = await strict.tenant("test-event-ssrf");
    // Written behind the policy's back, as a record saved before the allow-list changed would be.
    await strict.store.putEndpoint({
      tenantId,
      id: "ep_internal",
      url: `${receiver.url}/internal`,
      secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
      headers: {},
      enabled: true,
      disabledReason: null,
      managed: "api",
      updatedAt: new Date().toISOString(),
    });
    const before = receiver.requests.length;
    const r = await strict.call("POST", "/v1/endpoints/ep_internal/test", { token });
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe("DESTINATION_REFUSED");
    expect(receiver.requests.length).toBe(before);
  });
});

describe("the endpoint view's circuit state", () => {
  it("shows the workers' breaker: open with its reopening time after the failures, read-only", async () => {
    const { token, tenantId } = await api.tenant("circuit");
    const ep = await endpoint(api, token, "/c");
    const gate = createEndpointGate(api.redis, api.prefix, {
      concurrency: 4,
      slotLeaseMs: 60_000,
      hangMs: 1_000,
      failureThreshold: 2,
      openMs: 60_000,
      maxOpenMs: 600_000,
    });
    const fail = async () => {
      const e = await gate.enter(tenantId, ep.id);
      if (e.ok) await gate.leave(tenantId, ep.id, e.token, "down");
    };
    await fail();
    const one = await api.call("GET", `/v1/endpoints/${ep.id}`, { token });
    expect(one.body.circuit).toEqual({
      state: "closed",
      failures: 1,
      openUntil: null,
      opens: 0,
      inFlight: 0,
    });
    await fail();
    const list = await api.call("GET", "/v1/endpoints", { token });
    const open = list.body.data.find((x: { id: string }) => x.id === ep.id).circuit;
    expect(open).toMatchObject({ state: "open", opens: 1 });
    expect(Date.parse(open.openUntil)).toBeGreaterThan(Date.now());
    // Another tenant's endpoint of the same id has its own (closed) circuit.
    const other = await api.tenant("circuit-other");
    await api.store.putEndpoint({
      ...(await api.store.getEndpoint(tenantId, ep.id))!,
      tenantId: other.tenantId,
    });
    expect((await api.call("GET", `/v1/endpoints/${ep.id}`, { token: other.token })).body.circuit.state).toBe(
      "closed",
    );
  });
});
