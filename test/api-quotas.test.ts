import { createStore, type DeliveryRecord } from "@mailhook/store";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, isErrorShape, useApi } from "./support/api.js";

const api = useApi({
  deps: { quotas: { mailboxes: 2, folders: 3, rules: 2, endpoints: 2, apiPerMinute: 10_000 } },
});

const mailbox = (n: string, folders = ["INBOX"]) => ({
  address: `${n}@b.test`,
  host: "127.0.0.1",
  tls: "none",
  auth: { type: "password", user: n, password: "pw" },
  folders,
});

function expectQuota(r: { status: number; body: unknown }, status: number, quota: string, limit: number) {
  expect(r.status).toBe(status);
  expect(isErrorShape(r.body)).toBe(true);
  const e = (r.body as { error: { code: string; message: string; details: { path: string }[] } }).error;
  expect(e.code).toBe("QUOTA_EXCEEDED");
  expect(e.message).toContain(`quota ${quota} is ${limit}`);
  expect(e.details[0]?.path).toBe(`quota.${quota}`);
}

describe("quotas per tenant", () => {
  it("error: creating past the endpoints, rules, mailboxes and folders quotas answers 409 naming the quota and its limit", async () => {
    const { token } = await api.tenant("full");
    const eps: Awaited<ReturnType<typeof api.json>>[] = [];
    for (const n of [1, 2])
      eps.push(await api.json("POST", "/v1/endpoints", token, { url: `http://127.0.0.1:9/${n}` }));
    expect(eps.map((e) => e.status)).toEqual([201, 201]);
    expectQuota(
      await api.json("POST", "/v1/endpoints", token, { url: "http://127.0.0.1:9/3" }),
      409,
      "endpoints",
      2,
    );

    const rule = (id: string) => ({
      id,
      name: id,
      when: { field: "subject", op: "contains", value: "x" },
      actions: [{ type: "webhook", endpoint: eps[0]?.body.id }],
    });
    expect((await api.json("POST", "/v1/rules", token, rule("r1"))).status).toBe(201);
    expect((await api.json("POST", "/v1/rules", token, rule("r2"))).status).toBe(201);
    expectQuota(await api.json("POST", "/v1/rules", token, rule("r3")), 409, "rules", 2);

    const m1 = await api.json("POST", "/v1/mailboxes", token, mailbox("a", ["INBOX", "Sent"]));
    expect(m1.status).toBe(201);
    // Two folders more would make 4 of 3.
    expectQuota(
      await api.json("POST", "/v1/mailboxes", token, mailbox("b", ["INBOX", "Junk"])),
      409,
      "folders",
      3,
    );
    expect((await api.json("POST", "/v1/mailboxes", token, mailbox("c"))).status).toBe(201);
    expectQuota(await api.json("POST", "/v1/mailboxes", token, mailbox("d")), 409, "mailboxes", 2);
    // Adding folders to an existing mailbox counts too.
    expectQuota(
      await api.json("PATCH", `/v1/mailboxes/${m1.body.id}`, token, {
        folders: ["INBOX", "Sent", "Archive"],
      }),
      409,
      "folders",
      3,
    );
    // Another tenant has its own budget.
    const other = await api.tenant("other");
    expect(
      (await api.json("POST", "/v1/endpoints", other.token, { url: "http://127.0.0.1:9/o" })).status,
    ).toBe(201);
  });

  it("happy: the operator raises a quota for one tenant, sees defaults and overrides, and resets it with null", async () => {
    const { token, tenantId } = await api.tenant("raised");
    for (const n of [1, 2])
      await api.json("POST", "/v1/endpoints", token, { url: `http://127.0.0.1:9/${n}` });
    expect((await api.json("PATCH", `/v1/tenants/${tenantId}/quotas`, token, { endpoints: 5 })).status).toBe(
      403,
    );
    const up = await api.json("PATCH", `/v1/tenants/${tenantId}/quotas`, ADMIN_TOKEN, { endpoints: 3 });
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({
      quotas: { endpoints: 3, rules: 2 },
      overrides: { endpoints: 3 },
      defaults: { endpoints: 2 },
    });
    expect((await api.json("POST", "/v1/endpoints", token, { url: "http://127.0.0.1:9/3" })).status).toBe(
      201,
    );
    expectQuota(
      await api.json("POST", "/v1/endpoints", token, { url: "http://127.0.0.1:9/4" }),
      409,
      "endpoints",
      3,
    );
    const reset = await api.json("PATCH", `/v1/tenants/${tenantId}/quotas`, ADMIN_TOKEN, { endpoints: null });
    expect(reset.body.overrides).toEqual({});
    const got = await api.call("GET", `/v1/tenants/${tenantId}/quotas`, { token: ADMIN_TOKEN });
    expect(got.body.quotas.endpoints).toBe(2);
    const bad = await api.json("PATCH", `/v1/tenants/${tenantId}/quotas`, ADMIN_TOKEN, {
      endpoints: -1,
      nope: 1,
    });
    expect(bad.status).toBe(400);
    expect((await api.call("GET", "/v1/tenants/ten_missing/quotas", { token: ADMIN_TOKEN })).status).toBe(
      404,
    );
  });

  it("security: parallel creates cannot together pass a quota", async () => {
    const { token } = await api.tenant("race");
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        api.json("POST", "/v1/endpoints", token, { url: `http://127.0.0.1:9/p${i}` }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(2);
    expect(results.filter((r) => r.status === 409)).toHaveLength(6);
  });

  it("error: the tenant's API rate (all its tokens) answers 429 naming the quota, with Retry-After", async () => {
    const { token, tenantId } = await api.tenant("chatty");
    await api.json("PATCH", `/v1/tenants/${tenantId}/quotas`, ADMIN_TOKEN, { apiPerMinute: 3 });
    const second = await api.json("POST", `/v1/tenants/${tenantId}/tokens`, ADMIN_TOKEN, { name: "second" });
    // Fixed one-minute windows: 7 requests cross the limit of 3 even if a window ends among them.
    const answers = [];
    for (let i = 0; i < 7; i++)
      answers.push(await api.call("GET", "/v1/endpoints", { token: i % 2 ? token : second.body.token }));
    const limited = answers.find((r) => r.status === 429);
    expect(limited).toBeDefined();
    expectQuota(limited as { status: number; body: unknown }, 429, "apiPerMinute", 3);
    expect(Number(limited?.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // Other tenants are not slowed.
    const other = await api.tenant("quiet");
    expect((await api.call("GET", "/v1/endpoints", { token: other.token })).status).toBe(200);
  });

  it("the deliveries quota keeps a tenant's newest records and never drops a pending one", async () => {
    const store = createStore({
      redis: api.redis,
      prefix: api.prefix,
      secrets: api.secrets,
      quotas: { deliveries: 3 },
    });
    const t0 = Date.parse("2026-01-01T00:00:00Z");
    const rec = (i: number, status: DeliveryRecord["status"], tenantId = "keep"): DeliveryRecord => {
      const at = new Date(t0 + i * 1000).toISOString();
      return {
        id: `msg_q${tenantId}${i}`,
        tenantId,
        endpointId: "ep",
        ruleId: "r",
        mailboxId: "m",
        folder: "INBOX",
        uidValidity: 1,
        uid: i + 1,
        messageKey: `m~INBOX~1~${i + 1}`,
        status,
        body: "{}",
        createdAt: at,
        updatedAt: at,
        seenAt: t0,
        attempts: [],
        lastError: null,
      };
    };
    await store.createDelivery(rec(0, "pending"));
    for (let i = 1; i <= 5; i++) await store.createDelivery(rec(i, "delivered"));
    await store.createDelivery(rec(0, "delivered", "neighbour"));
    const kept = (await api.redis.zrange(store.keys.deliveries("keep"), 0, -1)).sort();
    // The pending one stays although oldest; the rest are the newest.
    expect(kept).toEqual(["msg_qkeep0", "msg_qkeep4", "msg_qkeep5"]);
    expect(await store.getDelivery("msg_qkeep1")).toBeNull();
    expect(await store.getDelivery("msg_qkeep0")).not.toBeNull();
    expect(await store.getDelivery("msg_qneighbour0")).not.toBeNull();
  });
});
